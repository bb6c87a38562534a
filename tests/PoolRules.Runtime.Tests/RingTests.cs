using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using PoolRules.Runtime.Tests.Support;
using Xunit;

namespace PoolRules.Runtime.Tests;

/// <summary>The ptr-ring: bounded, FIFO, many concurrent producers and one consumer, closable.</summary>
public sealed class RingTests
{
    private sealed class Item(int producer, int sequence)
    {
        public int Producer { get; } = producer;

        public int Sequence { get; } = sequence;
    }

    [Theory]
    [InlineData(1, 2)]
    [InlineData(2, 2)]
    [InlineData(3, 4)]
    [InlineData(64, 64)]
    [InlineData(1000, 1024)]
    public void Capacity_is_the_size_rounded_up_to_a_power_of_two_of_at_least_2(int size, int capacity)
    {
        Assert.Equal(capacity, new PtrRing<Item>(size).Capacity);
    }

    [Fact]
    public void A_new_ring_is_empty_and_consumes_nothing()
    {
        var ring = new PtrRing<Item>(8);
        Assert.True(ring.IsEmpty);
        Assert.Equal(0, ring.Count);
        Assert.Null(ring.TryConsume());
    }

    [Fact]
    public void Items_come_out_in_the_order_they_went_in()
    {
        var ring = new PtrRing<Item>(8);
        var items = Enumerable.Range(0, 8).Select(i => new Item(0, i)).ToArray();
        foreach (var item in items)
        {
            Assert.True(ring.TryProduce(item));
        }

        Assert.Equal(8, ring.Count);
        foreach (var item in items)
        {
            Assert.Same(item, ring.TryConsume());
        }

        Assert.True(ring.IsEmpty);
    }

    [Fact]
    public void A_full_ring_refuses_items_until_one_is_consumed()
    {
        var ring = new PtrRing<Item>(4);
        for (var i = 0; i < 4; i++)
        {
            Assert.True(ring.TryProduce(new Item(0, i)));
        }

        Assert.False(ring.TryProduce(new Item(0, 4)));
        Assert.Equal(4, ring.Count);

        Assert.Equal(0, ring.TryConsume()!.Sequence);
        Assert.True(ring.TryProduce(new Item(0, 5)));
        Assert.False(ring.TryProduce(new Item(0, 6)));
    }

    [Fact]
    public void The_smallest_ring_neither_overwrites_when_full_nor_refuses_when_emptied()
    {
        var ring = new PtrRing<Item>(1);
        var first = new Item(0, 0);
        var second = new Item(0, 1);
        Assert.True(ring.TryProduce(first));
        Assert.True(ring.TryProduce(second));
        Assert.False(ring.TryProduce(new Item(0, 2)));

        Assert.Same(first, ring.TryConsume());
        Assert.Same(second, ring.TryConsume());
        Assert.Null(ring.TryConsume());
        Assert.True(ring.TryProduce(new Item(0, 3)));
        Assert.Equal(3, ring.TryConsume()!.Sequence);
    }

    [Fact]
    public void The_ring_wraps_around_many_times_without_losing_or_reordering_items()
    {
        var ring = new PtrRing<Item>(4);
        var next = 0;
        for (var round = 0; round < 10_000; round++)
        {
            var batch = (round % 4) + 1;
            for (var i = 0; i < batch; i++)
            {
                Assert.True(ring.TryProduce(new Item(0, round * 10 + i)));
            }

            for (var i = 0; i < batch; i++)
            {
                Assert.Equal(round * 10 + i, ring.TryConsume()!.Sequence);
                next++;
            }
        }

        Assert.True(ring.IsEmpty);
        Assert.Equal(next, ring.Produced);
    }

    [Fact]
    public void Produced_counts_every_accepted_item_and_no_refused_one()
    {
        var ring = new PtrRing<Item>(2);
        ring.TryProduce(new Item(0, 0));
        ring.TryProduce(new Item(0, 1));
        ring.TryProduce(new Item(0, 2));

        Assert.Equal(2, ring.Produced);
    }

    [Fact]
    public void A_closed_ring_refuses_new_items_but_gives_out_the_ones_it_holds()
    {
        var ring = new PtrRing<Item>(4);
        var kept = new Item(0, 1);
        ring.TryProduce(kept);

        ring.Close();

        Assert.False(ring.TryProduce(new Item(0, 2)));
        Assert.Same(kept, ring.TryConsume());
        Assert.Null(ring.TryConsume());
    }

    [Fact]
    public void Concurrent_producers_with_a_concurrent_consumer_deliver_every_item_once_in_per_producer_order()
    {
        const int producers = 3;
        const int perProducer = 40_000;
        var ring = new PtrRing<Item>(256);
        var start = new Barrier(producers + 1);
        var done = 0;

        var producerThreads = TestThreads.Start(producers, p =>
        {
            start.SignalAndWait();
            for (var i = 0; i < perProducer; i++)
            {
                var item = new Item(p, i);
                var spin = new SpinWait();
                while (!ring.TryProduce(item))
                {
                    spin.SpinOnce(); // full: the consumer catches up
                }
            }

            Interlocked.Increment(ref done);
        });

        var lastSeen = new int[producers];
        Array.Fill(lastSeen, -1);
        var received = 0;
        start.SignalAndWait();
        var consumerSpin = new SpinWait();
        while (received < producers * perProducer)
        {
            var item = ring.TryConsume();
            if (item is null)
            {
                Assert.False(Volatile.Read(ref done) == producers && ring.IsEmpty, $"ring lost items: {received} received");
                consumerSpin.SpinOnce();
                continue;
            }

            // Each producer's items arrive exactly once and in the order it produced them.
            Assert.Equal(lastSeen[item.Producer] + 1, item.Sequence);
            lastSeen[item.Producer] = item.Sequence;
            received++;
        }

        producerThreads.Join();
        Assert.Null(ring.TryConsume());
        Assert.All(lastSeen, last => Assert.Equal(perProducer - 1, last));
        Assert.Equal(producers * perProducer, ring.Produced);
    }

    [Fact]
    public void Concurrent_producers_racing_for_the_last_slots_never_overfill_the_ring()
    {
        const int producers = 4;
        var ring = new PtrRing<Item>(64);
        var accepted = new int[producers];
        var start = new Barrier(producers);

        var threads = TestThreads.Start(producers, p =>
        {
            start.SignalAndWait();
            for (var i = 0; i < 1000; i++)
            {
                if (ring.TryProduce(new Item(p, i)))
                {
                    accepted[p]++;
                }
            }
        });

        threads.Join();
        Assert.Equal(64, accepted.Sum());
        Assert.Equal(64, ring.Count);
        var drained = new HashSet<Item>();
        while (ring.TryConsume() is { } item)
        {
            Assert.True(drained.Add(item));
        }

        Assert.Equal(64, drained.Count);
    }
}
