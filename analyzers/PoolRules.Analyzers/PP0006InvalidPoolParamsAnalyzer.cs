using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Globalization;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace PoolRules.Analyzers;

/// <summary>
/// PP0006: a <c>PagePoolParams</c> object initializer whose constant values <c>PagePool.Create</c> refuses. Every check
/// mirrors one in <c>PagePool.Create</c>; a property that is set to something not constant takes no part, and an unset
/// one has the value the runtime gives it. Reported on the offending assignment, or on <c>Flags</c> when the flag
/// needs a property that was left unset.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class PP0006InvalidPoolParamsAnalyzer : DiagnosticAnalyzer
{
    // The runtime's constants (PagePool.MaxOrder, MaxPoolSize, DefaultPoolSize, PageAllocator.PageSize, NumaNode.NoNode, flag bits).
    private const int MaxOrder = 10;
    private const int MaxPoolSize = 32768;
    private const int DefaultPoolSize = 1024;
    private const int PageSize = 4096;
    private const int NoNode = -1;
    private const long DmaMap = 1;
    private const long DmaSyncDevice = 2;
    private const long Bidirectional = 0;
    private const long FromDevice = 2;

    private static readonly string[] DirectionNames = { "Bidirectional", "ToDevice", "FromDevice", "None" };

    /// <summary>Sees every exception swallowed here; tests use it to prove nothing was silently given up.</summary>
    internal static Action<Exception>? Fault { get; set; }

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(Descriptors.PP0006InvalidPoolParams);

    public override void Initialize(AnalysisContext context)
    {
        context.EnableConcurrentExecution();
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.RegisterCompilationStartAction(start =>
        {
            if (KnownSymbols.For(start.Compilation) is not { PagePoolParams: { } parameters })
            {
                return;
            }

            start.RegisterOperationAction(
                operation =>
                {
                    if (operation.Operation is IObjectCreationOperation { Initializer: { } initializer } creation
                        && SymbolEqualityComparer.Default.Equals(creation.Type, parameters))
                    {
                        try
                        {
                            Analyze(operation, initializer);
                        }
#pragma warning disable CA1031 // An analyzer must never throw (AD0001): an initializer this rule cannot follow gets no diagnostic.
                        catch (Exception exception) when (exception is not OperationCanceledException)
#pragma warning restore CA1031
                        {
                            Fault?.Invoke(exception);
                        }
                    }
                },
                OperationKind.ObjectCreation);
        });
    }

    private static void Analyze(OperationAnalysisContext context, IObjectOrCollectionInitializerOperation initializer)
    {
        var values = new Dictionary<string, Setting>(StringComparer.Ordinal);
        foreach (var member in initializer.Initializers)
        {
            if (member is ISimpleAssignmentOperation { Target: IPropertyReferenceOperation { Instance: IInstanceReferenceOperation } property } assignment)
            {
                var known = LocalConstants.TryGet(assignment.Value, out var constant) || TryGetTimeSpanSign(assignment.Value, out constant);
                values[property.Property.Name] = new Setting(assignment, known, constant);
            }
        }

        var problems = new Problems();
        var flags = Integer(values, "Flags", 0);
        var order = Integer(values, "Order", 0);
        var poolSize = Integer(values, "PoolSize", 0);
        var nid = Integer(values, "Nid", NoNode);
        var direction = Integer(values, "DmaDirection", Bidirectional);
        var offset = Integer(values, "Offset", 0);
        var maxLength = Integer(values, "MaxLength", 0);

        if (flags is { } f && (f & ~(DmaMap | DmaSyncDevice)) != 0)
        {
            problems.Add(values, "Flags", $"Flags has unknown bits 0x{f.ToString("x", CultureInfo.InvariantCulture)}");
        }

        var orderValid = order is >= 0 and <= MaxOrder;
        if (order is { } o && !orderValid)
        {
            problems.Add(values, "Order", $"Order is {o}; it must be 0 to {MaxOrder}");
        }

        if (poolSize is { } size && (size < 0 || size > MaxPoolSize))
        {
            problems.Add(values, "PoolSize", $"PoolSize is {size}; it must be 0 (the default, {DefaultPoolSize}) to {MaxPoolSize}");
        }

        if (nid is { } node && node < NoNode)
        {
            problems.Add(values, "Nid", $"Nid is {node}; it must be a node number or NumaNode.NoNode");
        }

        if (direction is { } d && (d < 0 || d >= DirectionNames.Length))
        {
            problems.Add(values, "DmaDirection", $"DmaDirection {d} is not a DmaDirection");
        }

        if (orderValid && order is { } validOrder)
        {
            var pageLength = (long)PageSize << (int)validOrder;
            if (offset is { } off && (off < 0 || off >= pageLength))
            {
                problems.Add(values, "Offset", $"Offset is {off}; it must lie inside the {pageLength}-byte page");
            }

            if (offset is { } start && maxLength is { } length && (length < 0 || start + length > pageLength))
            {
                problems.Add(values, "MaxLength", $"MaxLength is {length}; with Offset {start} it must fit the {pageLength}-byte page");
            }
        }

        if (flags is { } mapFlags && (mapFlags & DmaMap) != 0)
        {
            if (direction is { } dir and >= 0 && dir < DirectionNames.Length && dir != FromDevice && dir != Bidirectional)
            {
                problems.Add(values, "DmaDirection", $"DmaDirection is {DirectionNames[(int)dir]}; with DmaMap it must be FromDevice or Bidirectional");
            }

            if (!values.TryGetValue("Device", out var device))
            {
                problems.Add(values, "Flags", "DmaMap needs the Device to map pages for, and Device is not set");
            }
            else if (device.Known && device.Constant is null)
            {
                problems.Add(values, "Device", "Device is null, and DmaMap needs the device to map pages for");
            }
        }

        if (flags is { } syncFlags && (syncFlags & DmaSyncDevice) != 0)
        {
            if ((syncFlags & DmaMap) == 0)
            {
                problems.Add(values, "Flags", "DmaSyncDevice needs DmaMap: the pool syncs the mapping it made");
            }

            if (maxLength == 0)
            {
                problems.Add(
                    values,
                    values.ContainsKey("MaxLength") ? "MaxLength" : "Flags",
                    values.ContainsKey("MaxLength") ? "MaxLength is 0, and DmaSyncDevice needs the length to sync" : "DmaSyncDevice needs MaxLength, the length to sync, and MaxLength is not set");
            }
        }

        foreach (var name in new[] { "ShutdownRetryPeriod", "ShutdownWarnPeriod" })
        {
            if (values.TryGetValue(name, out var period) && period.Known && period.Constant is TimeSpanSign { Positive: false })
            {
                problems.Add(values, name, $"{name} must be positive");
            }
        }

        problems.Report(context);
    }

    /// <summary>The integer value of a property: its constant, the runtime's default when unset, null when not constant.</summary>
    private static long? Integer(Dictionary<string, Setting> values, string name, long unset)
    {
        if (!values.TryGetValue(name, out var setting))
        {
            return unset;
        }

        if (!setting.Known)
        {
            return null;
        }

        return setting.Constant switch
        {
            int value => value,
            long value => value,
            short value => value,
            sbyte value => value,
            byte value => value,
            ushort value => value,
            uint value => value,
            _ => null,
        };
    }

    /// <summary>Only the sign of a TimeSpan matters to Create: <c>TimeSpan.Zero</c>, <c>default</c>, or <c>TimeSpan.FromX(constant)</c>.</summary>
    private static bool TryGetTimeSpanSign(IOperation value, out object? sign)
    {
        sign = null;
        while (value is IConversionOperation { Operand: var operand })
        {
            value = operand;
        }

        if (value.Type is not { Name: "TimeSpan", ContainingNamespace: { Name: "System", ContainingNamespace.IsGlobalNamespace: true } })
        {
            return false;
        }

        switch (value)
        {
            case IFieldReferenceOperation { Field.Name: "Zero" }:
            case IDefaultValueOperation:
            case IObjectCreationOperation { Arguments.Length: 0 }:
                sign = new TimeSpanSign(false);
                return true;
            case IFieldReferenceOperation { Field.Name: "MinValue" }:
                sign = new TimeSpanSign(false);
                return true;
            case IInvocationOperation { TargetMethod: { IsStatic: true } method, Arguments.Length: 1 } invocation
                when method.Name.StartsWith("From", StringComparison.Ordinal)
                    && LocalConstants.TryGet(invocation.Arguments[0].Value, out var amount) && amount is not null:
                var number = Convert.ToDouble(amount, CultureInfo.InvariantCulture);
                sign = new TimeSpanSign(number > 0);
                return true;
            default:
                return false;
        }
    }

    private sealed class TimeSpanSign
    {
        public TimeSpanSign(bool positive) => Positive = positive;

        public bool Positive { get; }
    }

    private readonly struct Setting
    {
        public Setting(ISimpleAssignmentOperation assignment, bool known, object? constant)
        {
            Assignment = assignment;
            Known = known;
            Constant = constant;
        }

        public ISimpleAssignmentOperation Assignment { get; }

        public bool Known { get; }

        public object? Constant { get; }
    }

    /// <summary>The refusals per offending assignment, so one assignment gets one diagnostic that lists them all.</summary>
    private sealed class Problems
    {
        private readonly List<(ISimpleAssignmentOperation Assignment, List<string> Reasons)> _byAssignment = new();

        public void Add(Dictionary<string, Setting> values, string property, string reason)
        {
            if (!values.TryGetValue(property, out var setting))
            {
                return;
            }

            foreach (var (assignment, reasons) in _byAssignment)
            {
                if (assignment == setting.Assignment)
                {
                    reasons.Add(reason);
                    return;
                }
            }

            _byAssignment.Add((setting.Assignment, new List<string> { reason }));
        }

        public void Report(OperationAnalysisContext context)
        {
            foreach (var (assignment, reasons) in _byAssignment)
            {
                context.ReportDiagnostic(Diagnostic.Create(Descriptors.PP0006InvalidPoolParams, assignment.Syntax.GetLocation(), string.Join("; ", reasons)));
            }
        }
    }
}
