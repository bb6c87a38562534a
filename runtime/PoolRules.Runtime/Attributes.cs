using System;

namespace PoolRules.Runtime;

/// <summary>
/// The method runs only inside a NAPI poll of its pool's queue, so <see cref="PagePool.RecycleDirect"/> and
/// <c>allowDirect: true</c> are safe in it; it may only be called from such a context (PP0003).
/// </summary>
[AttributeUsage(AttributeTargets.Method, Inherited = false)]
public sealed class NapiContextAttribute : Attribute
{
}

/// <summary>The callee takes over the duty to put or release the page passed here (PP0001 counts the call as a hand-on).</summary>
[AttributeUsage(AttributeTargets.Parameter, Inherited = false)]
public sealed class TakesPageOwnershipAttribute : Attribute
{
}

/// <summary>
/// The callee takes over the duty to give back the rental passed here (an array from <c>ArrayPool&lt;T&gt;</c>, an
/// <c>IMemoryOwner&lt;T&gt;</c>, an object from <c>ObjectPool&lt;T&gt;</c>): PP0101 counts the call as a hand-on. The analyzers
/// recognise any attribute class of this name, in any namespace, so a project may declare its own.
/// </summary>
[AttributeUsage(AttributeTargets.Parameter, Inherited = false)]
public sealed class TakesOwnershipAttribute : Attribute
{
}

/// <summary>The value is the number of hardware RX queues, as <see cref="NetDevice.RxQueueCount"/> is (PP0004).</summary>
[AttributeUsage(AttributeTargets.Field | AttributeTargets.Property | AttributeTargets.Parameter, Inherited = false)]
public sealed class QueueCountAttribute : Attribute
{
}
