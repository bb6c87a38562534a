using System;
using System.Linq;
using System.Threading;
using PoolRules.Runtime.Tests.Support;
using Xunit;

namespace PoolRules.Runtime.Tests;

/// <summary>
/// The ptr-ring's bulk produce: one claim for as many consecutive slots as are free, filled in order, beside the
/// single-item producers and the consumer.
/// </summary>
public sealed class RingBulkTests
{
    private sealed class Item(int producer, int sequence)
    {
        public int Producer { get; } = producer;

        public int Sequence { get; } = sequence;
    }

    private static Item[] Items(int producer, int count) => Enumerable.Range(0, count).Select(i => new Item(producer, i)).ToArray();

    [Fact]
    public void A_batch_goes_in_whole_and_comes_out_in_order()
    {
        var ring = new PtrRing<Item>(16);
        Assert.True(ring.TryProduce(new Item(9, 0)));
        var items = Items(0, 10);

        Assert.Equal(10, ring.TryProduceBulk(items));

        Assert.Equal(11, ring.Produced);
        Assert.Equal(9, ring.TryConsume()!.Producer);
        foreach (var item in items)
        {
            Assert.Same(item, ring.TryConsume());
        }

        Assert.True(ring.IsEmpty);
    }

    [Fact]
    public void A_batch_larger_than_the_free_slots_puts_in_its_first_items_only()
    {
        var ring = new PtrRing<Item>(8);
        Assert.Equal(5, ring.TryProduceBulk(Items(0, 5)));
        var batch = Items(1, 6);

        Assert.Equal(3, ring.TryProduceBulk(batch));

        Assert.Equal(8, ring.Count);
        Assert.Equal(0, ring.TryProduceBulk(batch));
        Assert.False(ring.TryProduce(batch[5]));
        var order = Enumerable.Range(0, 8).Select(_ => ring.TryConsume()!).ToArray();
        Assert.Equal(batch.Take(3), order.Skip(5));
    }

    [Fact]
    public void An_empty_batch_or_a_closed_ring_takes_nothing()
    {
        var ring = new PtrRing<Item>(8);
        Assert.Equal(0, ring.TryProduceBulk(ReadOnlySpan<Item>.Empty));
        ring.Close();
        Assert.Equal(0, ring.TryProduceBulk(Items(0, 3)));
        Assert.Equal(0, ring.Produced);
    }

    [Fact]
    public void Batches_wrap_around_the_ring_many_times()
    {
        var ring = new PtrRing<Item>(8);
        for (var round = 0; round < 100; round++)
        {
            var batch = Items(round, 1 + (round % 7));
            Assert.Equal(batch.Length, ring.TryProduceBulk(batch));
            foreach (var item in batch)
            {
                Assert.Same(item, ring.TryConsume());
            }
        }

        Assert.True(ring.IsEmpty);
    }

    [Fact]
    public void Concurrent_bulk_and_single_producers_deliver_every_item_once_and_each_batch_contiguous()
    {
        const int bulkProducers = 2;
        const int batches = 2000;
        const int batchSize = 8;
        const int singles = 10_000;
        var ring = new PtrRing<Item>(256);
        var start = new Barrier(bulkProducers + 2);
        var total = (bulkProducers * batches * batchSize) + singles;
        var claimedWhole = new bool[bulkProducers, batches];

        var threads = TestThreads.Start(bulkProducers + 1, p =>
        {
            start.SignalAndWait();
            if (p == bulkProducers)
            {
                for (var i = 0; i < singles; i++)
                {
                    var spin = default(SpinWait);
                    while (!ring.TryProduce(new Item(p, i)))
                    {
                        spin.SpinOnce(sleep1Threshold: -1); // yield, never sleep: a loaded machine makes Sleep(1) long
                    }
                }

                return;
            }

            var sequence = 0;
            for (var b = 0; b < batches; b++)
            {
                var batch = Enumerable.Range(0, batchSize).Select(i => new Item(p, sequence + i)).ToArray();
                var spin = default(SpinWait);
                var sent = 0;
                claimedWhole[p, b] = (sent = ring.TryProduceBulk(batch)) == batchSize;
                while (sent < batch.Length)
                {
                    // A short claim near a full ring is a legal outcome; the rest goes in with the next claim.
                    var n = ring.TryProduceBulk(batch.AsSpan(sent));
                    sent += n;
                    if (n == 0)
                    {
                        spin.SpinOnce(sleep1Threshold: -1); // yield, never sleep: a loaded machine makes Sleep(1) long
                    }
                }

                sequence += batchSize;
            }
        });

        var lastSeen = new int[bulkProducers + 1];
        Array.Fill(lastSeen, -1);
        var received = 0;
        var order = new Item[total];
        var deadline = DateTime.UtcNow + (3 * TestThreads.Timeout);
        start.SignalAndWait();
        while (received < total)
        {
            Assert.True(DateTime.UtcNow < deadline, $"only {received} of {total} items arrived");
            var item = ring.TryConsume();
            if (item is null)
            {
                Thread.SpinWait(20);
                continue;
            }

            Assert.Equal(lastSeen[item.Producer] + 1, item.Sequence);
            lastSeen[item.Producer] = item.Sequence;
            order[received++] = item;
        }

        threads.Join();
        Assert.Null(ring.TryConsume());
        Assert.Equal(total, ring.Produced);

        // A batch claimed whole lies in consecutive slots: nothing from another producer in between.
        var whole = 0;
        for (var i = 0; i < total; i++)
        {
            var item = order[i];
            if (item.Producer < bulkProducers && item.Sequence % batchSize == 0 && claimedWhole[item.Producer, item.Sequence / batchSize])
            {
                for (var k = 1; k < batchSize; k++)
                {
                    Assert.Equal(item.Producer, order[i + k].Producer);
                    Assert.Equal(item.Sequence + k, order[i + k].Sequence);
                }

                whole++;
            }
        }

        Assert.True(whole > 0);
    }
}
