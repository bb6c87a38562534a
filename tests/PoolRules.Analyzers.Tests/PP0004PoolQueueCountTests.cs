using System.Threading.Tasks;
using Xunit;
using V = PoolRules.Analyzers.Tests.Verify<PoolRules.Analyzers.PP0004PoolQueueCountAnalyzer>;

namespace PoolRules.Analyzers.Tests;

public sealed class PP0004PoolQueueCountTests : RuleFaults
{
    // Positive: one pool for several queues, and pool collections or loops that do not follow the queue count.

    [Fact]
    public Task Pool_created_once_and_registered_in_the_queue_loop_is_shared() => V.AnalyzerAsync(
        """
        class Driver
        {
            void Open(NetDevice dev, XdpRxQueueInfo[] rxqs)
            {
                var pool = {|#1:PagePool.Create(new PagePoolParams { PoolSize = 256 })|};
                for (var i = 0; i < dev.RxQueueCount; i++)
                {
                    rxqs[i].Register(dev, i);
                    rxqs[i].RegisterMemoryModel(MemoryModelType.PagePool, {|#0:pool|});
                }
            }
        }
        """,
        V.Diagnostic("PP0004").WithLocation(0).WithArguments(
            "Pool 'pool' is created once, outside this loop over the RX queues, and registered for every queue").WithLocation(1));

    [Fact]
    public Task Pool_created_once_and_stored_per_queue_is_shared() => V.AnalyzerAsync("""
        class Driver
        {
            private readonly PagePool[] _pools = new PagePool[{|PP0004:64|}];

            void Open(NetDevice dev)
            {
                var pool = PagePool.Create(new PagePoolParams());
                for (var i = 0; i < dev.RxQueueCount; i++)
                {
                    _pools[i] = {|PP0004:pool|};
                }
            }
        }
        """);

    [Fact]
    public Task Pool_created_once_and_passed_to_each_queue_object_is_shared() => V.AnalyzerAsync("""
        sealed class RxRing
        {
            public RxRing(int index, PagePool pool) { }
        }

        class Driver
        {
            List<RxRing> Open(NetDevice dev)
            {
                var rings = new List<RxRing>();
                var pool = PagePool.Create(new PagePoolParams { AllowSharedQueues = false });
                for (var q = 0; q < dev.RxQueueCount; q++)
                {
                    rings.Add(new RxRing(q, {|PP0004:pool|}));
                }

                return rings;
            }
        }
        """);

    // The rule registers nothing in a compilation whose text never names PagePool; a name spelled with an escape counts.
    [Fact]
    public Task Pool_named_only_through_unicode_escapes_is_still_checked() => V.AnalyzerAsync("""
        sealed class RxRing
        {
            public RxRing(int index, Page\u0050ool pool) { }
        }

        class Driver
        {
            List<RxRing> Open(NetDevice dev)
            {
                var rings = new List<RxRing>();
                var pool = Page\u0050ool.Create(new Page\u0050oolParams());
                for (var q = 0; q < dev.RxQueueCount; q++)
                {
                    rings.Add(new RxRing(q, {|PP0004:pool|}));
                }

                return rings;
            }
        }
        """);

    // A formatting character inside an identifier is dropped by C#: the body's text never spells "Register", yet it calls
    // RegisterMemoryModel twice. The body's text gate must not skip it.
    [Fact]
    public Task Registration_spelled_with_a_formatting_character_is_still_checked() => V.AnalyzerAsync("""
        class Driver
        {
            private readonly PagePool _pool = PagePool.Create(new PagePoolParams());

            void Open(XdpRxQueueInfo[] rxqs)
            {
                rxqs[0].Regi_sterMemoryModel(MemoryModelType.PagePool, _pool);
                {|PP0004:rxqs[1].Regi_sterMemoryModel(MemoryModelType.PagePool, _pool)|};
            }
        }
        """.Replace("Regi_ster", "Regi\u200Dster", System.StringComparison.Ordinal));

    [Fact]
    public Task Field_pool_created_in_the_constructor_and_registered_per_queue_is_shared() => V.AnalyzerAsync("""
        class Driver
        {
            private readonly PagePool _pool;

            Driver() => _pool = PagePool.Create(new PagePoolParams { Name = "rx" });

            void Open(NetDevice dev, XdpRxQueueInfo[] rxqs)
            {
                for (var i = 0; i < dev.RxQueueCount; i++)
                {
                    rxqs[i].RegisterMemoryModel(MemoryModelType.PagePool, {|PP0004:_pool|});
                }
            }
        }
        """);

    [Fact]
    public Task Pool_registered_in_a_foreach_over_the_rx_queue_infos_is_shared() => V.AnalyzerAsync("""
        class Driver
        {
            void Open(List<XdpRxQueueInfo> rxqs)
            {
                var pool = PagePool.Create(new PagePoolParams());
                foreach (var rxq in rxqs)
                {
                    rxq.RegisterMemoryModel(MemoryModelType.PagePool, {|PP0004:pool|});
                }
            }
        }
        """);

    [Fact]
    public Task Loops_bounded_by_QueueCount_fields_parameters_and_copies_are_per_queue() => V.AnalyzerAsync("""
        class Driver
        {
            [QueueCount]
            private readonly int _rxQueues = 4;

            void A(XdpRxQueueInfo[] rxqs)
            {
                var pool = PagePool.Create(new PagePoolParams());
                for (var i = 0; i < _rxQueues; i++)
                {
                    rxqs[i].RegisterMemoryModel(MemoryModelType.PagePool, {|PP0004:pool|});
                }
            }

            void B(XdpRxQueueInfo[] rxqs, [QueueCount] int queues)
            {
                var pool = PagePool.Create(new PagePoolParams());
                for (var i = 0; queues > i; i++)
                {
                    rxqs[i].RegisterMemoryModel(MemoryModelType.PagePool, {|PP0004:pool|});
                }
            }

            void C(NetDevice dev, XdpRxQueueInfo[] rxqs)
            {
                var count = dev.RxQueueCount;
                var pool = PagePool.Create(new PagePoolParams());
                for (var i = 0; i < count; i++)
                {
                    rxqs[i].RegisterMemoryModel(MemoryModelType.PagePool, {|PP0004:pool|});
                }
            }
        }
        """);

    [Fact]
    public Task Same_pool_registered_on_two_queues_is_reported_at_the_second() => V.AnalyzerAsync(
        """
        class Driver
        {
            void Open(NetDevice dev, XdpRxQueueInfo rxq0, XdpRxQueueInfo rxq1)
            {
                var pool = PagePool.Create(new PagePoolParams());
                {|#1:rxq0.RegisterMemoryModel(MemoryModelType.PagePool, pool)|};
                {|#0:rxq1.RegisterMemoryModel(MemoryModelType.PagePool, pool)|};
            }
        }
        """,
        V.Diagnostic("PP0004").WithLocation(0).WithArguments(
            "Pool 'pool' is registered on a second RX queue here, after the one on line 12").WithLocation(1));

    [Fact]
    public Task Same_field_pool_registered_on_two_indexed_queues_is_reported() => V.AnalyzerAsync("""
        class Driver
        {
            private readonly PagePool _pool = PagePool.Create(new PagePoolParams());

            void Open(XdpRxQueueInfo[] rxqs)
            {
                rxqs[0].RegisterMemoryModel(MemoryModelType.PagePool, _pool);
                {|PP0004:rxqs[1].RegisterMemoryModel(MemoryModelType.PagePool, _pool)|};
            }
        }
        """);

    [Fact]
    public Task Pool_array_sized_by_a_constant_and_filled_per_queue() => V.AnalyzerAsync("""
        class Driver
        {
            PagePool[] Open(NetDevice dev)
            {
                var pools = new PagePool[{|PP0004:8|}];
                for (var i = 0; i < dev.RxQueueCount; i++)
                {
                    pools[i] = PagePool.Create(new PagePoolParams());
                }

                return pools;
            }
        }
        """);

    [Fact]
    public Task Pool_array_sized_by_the_tx_queue_count_is_reported_with_its_size() => V.AnalyzerAsync(
        """
        class Driver
        {
            private PagePool[] _pools = [];

            void Open(NetDevice dev)
            {
                _pools = new PagePool[{|#0:dev.TxQueueCount|}];
                {|#1:for (var i = 0; i < dev.RxQueueCount; i++)
                {
                    _pools[i] = PagePool.Create(new PagePoolParams());
                }|}
            }
        }
        """,
        V.Diagnostic("PP0004").WithLocation(0).WithArguments(
            "The pool array '_pools' is sized by 'dev.TxQueueCount', which is not the RX queue count, but filled per RX queue").WithLocation(1));

    [Fact]
    public Task Pool_array_sized_by_the_processor_count_and_indexed_per_queue() => V.AnalyzerAsync("""
        class Driver
        {
            void Open(NetDevice dev, XdpRxQueueInfo[] rxqs)
            {
                var pools = new PagePool[{|PP0004:Environment.ProcessorCount|}];
                for (var i = 0; i < dev.RxQueueCount; i++)
                {
                    var pool = PagePool.Create(new PagePoolParams());
                    pools[i] = pool;
                    rxqs[i].RegisterMemoryModel(MemoryModelType.PagePool, pools[i]);
                }
            }
        }
        """);

    [Fact]
    public Task Pool_list_with_a_constant_capacity_filled_per_queue() => V.AnalyzerAsync("""
        class Driver
        {
            List<PagePool> Open(NetDevice dev)
            {
                var pools = new List<PagePool>({|PP0004:4|});
                for (var i = 0; i < dev.RxQueueCount; i++)
                {
                    pools.Add(PagePool.Create(new PagePoolParams()));
                }

                return pools;
            }
        }
        """);

    [Fact]
    public Task Creation_loop_with_a_constant_bound_in_a_method_that_registers_queues() => V.AnalyzerAsync("""
        class Driver
        {
            void Open(NetDevice dev, XdpRxQueueInfo[] rxqs)
            {
                for (var i = 0; i < {|PP0004:4|}; i++)
                {
                    var pool = PagePool.Create(new PagePoolParams());
                    rxqs[i].Register(dev, i);
                    rxqs[i].RegisterMemoryModel(MemoryModelType.PagePool, pool);
                }
            }
        }
        """);

    [Fact]
    public Task Creation_loop_bounded_by_the_tx_queue_count_in_a_method_that_registers_queues() => V.AnalyzerAsync("""
        class Driver
        {
            void Open(NetDevice dev, XdpRxQueueInfo[] rxqs)
            {
                var pools = new PagePool[dev.RxQueueCount];
                for (var i = 0; i <= {|PP0004:dev.TxQueueCount|}; i++)
                {
                    pools[i] = PagePool.Create(new PagePoolParams());
                }

                rxqs[0].Register(dev, 0);
            }
        }
        """);

    [Fact]
    public Task Loop_over_an_array_sized_by_the_queue_count_is_per_queue() => V.AnalyzerAsync("""
        sealed class Ring(PagePool pool)
        {
            public PagePool Pool { get; } = pool;
        }

        class Driver
        {
            void Stats(NetDevice dev)
            {
                var rings = new Ring[dev.RxQueueCount];
                var pools = new PagePool[{|PP0004:Environment.ProcessorCount|}];
                for (var q = 0; q < rings.Length; q++)
                {
                    pools[q] = rings[q].Pool;
                }
            }
        }
        """);

    // Negative: the per-queue pattern, the opt-out, and what the rule cannot see.

    [Fact]
    public Task One_pool_per_queue_created_in_the_loop_is_fine() => V.AnalyzerAsync("""
        class Driver
        {
            PagePool[] Open(NetDevice dev, XdpRxQueueInfo[] rxqs)
            {
                var pools = new PagePool[dev.RxQueueCount];
                for (var i = 0; i < dev.RxQueueCount; i++)
                {
                    pools[i] = PagePool.Create(new PagePoolParams { Name = $"rx{i}" });
                    rxqs[i].Register(dev, i);
                    rxqs[i].RegisterMemoryModel(MemoryModelType.PagePool, pools[i]);
                }

                return pools;
            }
        }
        """);

    [Fact]
    public Task Shared_pool_with_AllowSharedQueues_is_fine() => V.AnalyzerAsync("""
        class Driver
        {
            void Open(NetDevice dev, XdpRxQueueInfo[] rxqs)
            {
                var pool = PagePool.Create(new PagePoolParams { AllowSharedQueues = true });
                for (var i = 0; i < dev.RxQueueCount; i++)
                {
                    rxqs[i].RegisterMemoryModel(MemoryModelType.PagePool, pool);
                }
            }
        }
        """);

    [Fact]
    public Task Two_registrations_with_AllowSharedQueues_through_a_params_local_are_fine() => V.AnalyzerAsync("""
        class Driver
        {
            void Open(XdpRxQueueInfo rxq0, XdpRxQueueInfo rxq1)
            {
                var parameters = new PagePoolParams { AllowSharedQueues = true, PoolSize = 2048 };
                var pool = PagePool.Create(parameters);
                rxq0.RegisterMemoryModel(MemoryModelType.PagePool, pool);
                rxq1.RegisterMemoryModel(MemoryModelType.PagePool, pool);
            }
        }
        """);

    [Fact]
    public Task Non_constant_opt_out_is_not_judged() => V.AnalyzerAsync("""
        class Driver
        {
            void Open(NetDevice dev, XdpRxQueueInfo[] rxqs, bool shared)
            {
                var pool = PagePool.Create(new PagePoolParams { AllowSharedQueues = shared });
                for (var i = 0; i < dev.RxQueueCount; i++)
                {
                    rxqs[i].RegisterMemoryModel(MemoryModelType.PagePool, pool);
                }
            }
        }
        """);

    [Fact]
    public Task Pool_of_unknown_origin_is_not_judged() => V.AnalyzerAsync("""
        class Driver
        {
            void Open(NetDevice dev, XdpRxQueueInfo[] rxqs, PagePool pool, Func<PagePool> make)
            {
                var made = make();
                for (var i = 0; i < dev.RxQueueCount; i++)
                {
                    rxqs[i].RegisterMemoryModel(MemoryModelType.PagePool, pool);
                    rxqs[i].RegisterMemoryModel(MemoryModelType.PagePool, made);
                }
            }
        }
        """);

    [Fact]
    public Task Pool_local_reassigned_in_the_loop_is_per_queue() => V.AnalyzerAsync("""
        class Driver
        {
            void Open(NetDevice dev, XdpRxQueueInfo[] rxqs)
            {
                PagePool pool = PagePool.Create(new PagePoolParams());
                pool.Destroy();
                for (var i = 0; i < dev.RxQueueCount; i++)
                {
                    pool = PagePool.Create(new PagePoolParams());
                    rxqs[i].RegisterMemoryModel(MemoryModelType.PagePool, pool);
                }
            }
        }
        """);

    [Fact]
    public Task Two_registrations_with_a_new_pool_in_between_are_fine() => V.AnalyzerAsync("""
        class Driver
        {
            void Open(XdpRxQueueInfo rxq0, XdpRxQueueInfo rxq1)
            {
                var pool = PagePool.Create(new PagePoolParams());
                rxq0.RegisterMemoryModel(MemoryModelType.PagePool, pool);
                pool = PagePool.Create(new PagePoolParams());
                rxq1.RegisterMemoryModel(MemoryModelType.PagePool, pool);
            }
        }
        """);

    [Fact]
    public Task Other_memory_models_do_not_use_the_pool() => V.AnalyzerAsync("""
        class Driver
        {
            void Open(XdpRxQueueInfo rxq0, XdpRxQueueInfo rxq1)
            {
                var pool = PagePool.Create(new PagePoolParams());
                rxq0.RegisterMemoryModel(MemoryModelType.PageShared, pool);
                rxq1.RegisterMemoryModel(MemoryModelType.PageOrder0, pool);
            }
        }
        """);

    [Fact]
    public Task Pool_arrays_sized_by_queue_counts_are_fine() => V.AnalyzerAsync("""
        class Driver
        {
            void A(NetDevice dev)
            {
                var pools = new PagePool[dev.RxQueueCount];
                for (var i = 0; i < dev.RxQueueCount; i++)
                {
                    pools[i] = PagePool.Create(new PagePoolParams());
                }
            }

            void B([QueueCount] int queues, XdpRxQueueInfo[] rxqs)
            {
                var pools = new PagePool[queues];
                for (var i = 0; i < rxqs.Length; i++)
                {
                    pools[i] = PagePool.Create(new PagePoolParams());
                }
            }

            void C(XdpRxQueueInfo[] rxqs)
            {
                var pools = new List<PagePool>(rxqs.Length);
                for (var i = 0; i < rxqs.Length; i++)
                {
                    pools.Add(PagePool.Create(new PagePoolParams()));
                }
            }
        }
        """);

    [Fact]
    public Task Pool_array_sized_by_the_length_of_a_queue_sized_array_is_fine() => V.AnalyzerAsync("""
        class Driver
        {
            private object[] _rings = [];

            void Open(NetDevice dev)
            {
                _rings = new object[dev.RxQueueCount];
                var pools = new PagePool[_rings.Length];
                for (var q = 0; q < _rings.Length; q++)
                {
                    pools[q] = PagePool.Create(new PagePoolParams());
                }
            }
        }
        """);

    [Fact]
    public Task Loop_bounded_by_the_pool_array_length_is_not_judged() => V.AnalyzerAsync("""
        class Driver
        {
            void Open(NetDevice dev, XdpRxQueueInfo[] rxqs)
            {
                var pools = new PagePool[dev.RxQueueCount];
                for (var i = 0; i < pools.Length; i++)
                {
                    pools[i] = PagePool.Create(new PagePoolParams());
                    rxqs[i].RegisterMemoryModel(MemoryModelType.PagePool, pools[i]);
                }
            }
        }
        """);

    [Fact]
    public Task Constant_bound_creation_loop_without_rx_registration_is_not_judged() => V.AnalyzerAsync("""
        class Driver
        {
            PagePool[] TxPools()
            {
                var pools = new PagePool[4];
                for (var i = 0; i < 4; i++)
                {
                    pools[i] = PagePool.Create(new PagePoolParams());
                }

                return pools;
            }
        }
        """);

    [Fact]
    public Task Constant_sized_array_not_filled_per_queue_is_not_judged() => V.AnalyzerAsync("""
        class Driver
        {
            private readonly PagePool?[] _spare = new PagePool?[2];

            void Open(NetDevice dev)
            {
                var scratch = new PagePool[2];
                scratch[0] = PagePool.Create(new PagePoolParams());
                for (var i = 0; i < dev.RxQueueCount; i++)
                {
                    _ = i;
                }
            }
        }
        """);

    [Fact]
    public Task Using_one_pool_inside_the_queue_loop_without_storing_it_is_not_judged() => V.AnalyzerAsync("""
        class Driver
        {
            void Prefill(NetDevice dev)
            {
                var pool = PagePool.Create(new PagePoolParams());
                for (var i = 0; i < dev.RxQueueCount; i++)
                {
                    var page = pool.DevAllocPages();
                    if (page is not null)
                    {
                        pool.PutFullPage(page, allowDirect: false);
                    }
                }
            }
        }
        """);

    [Fact]
    public Task Single_registration_of_one_pool_is_fine() => V.AnalyzerAsync("""
        class Driver
        {
            private readonly PagePool _pool = PagePool.Create(new PagePoolParams());

            void Open(NetDevice dev, XdpRxQueueInfo rxq)
            {
                rxq.Register(dev, 0);
                rxq.RegisterMemoryModel(MemoryModelType.PagePool, _pool);
            }
        }
        """);

    // ---- pool arrays sized in an initializer, pools created through a helper, while loops ---------------------------

    [Fact]
    public Task Pool_array_sized_in_a_field_initializer_by_the_cpu_count_and_filled_per_queue() => V.AnalyzerAsync("""
        class Driver
        {
            readonly PagePool[] _pools = new PagePool[{|#0:Environment.ProcessorCount|}];

            void Open(NetDevice dev)
            {
                {|#1:for (var q = 0; q < dev.RxQueueCount; q++)
                {
                    _pools[q] = PagePool.Create(new PagePoolParams { Name = "rx" + q });
                }|}
            }
        }
        """,
        V.Diagnostic("PP0004").WithLocation(0).WithLocation(1).WithArguments(
            "The pool array '_pools' is sized by 'Environment.ProcessorCount', which is not the RX queue count, but filled per RX queue"));

    [Fact]
    public Task Pool_array_sized_in_a_property_initializer_by_a_constant_and_filled_per_queue() => V.AnalyzerAsync("""
        class Driver
        {
            const int MaxQueues = 8;

            PagePool[] Pools { get; } = new PagePool[{|PP0004:MaxQueues|}];

            void Open(NetDevice dev)
            {
                for (var q = 0; q < dev.RxQueueCount; q++)
                {
                    Pools[q] = PagePool.Create(new PagePoolParams());
                }
            }
        }
        """);

    [Fact]
    public Task Pool_array_sized_in_an_initializer_by_the_queue_count_or_not_filled_per_queue() => V.AnalyzerAsync("""
        class Driver
        {
            [QueueCount]
            const int Queues = 4;

            readonly PagePool[] _pools = new PagePool[Queues];
            readonly PagePool[] _spares = new PagePool[Environment.ProcessorCount];

            void Open(NetDevice dev)
            {
                for (var q = 0; q < Queues; q++)
                {
                    _pools[q] = PagePool.Create(new PagePoolParams());
                }

                _spares[0] = PagePool.Create(new PagePoolParams());
            }
        }
        """);

    [Fact]
    public Task Helper_that_creates_the_pool_into_one_field_called_per_queue() => V.AnalyzerAsync("""
        class Driver
        {
            readonly XdpRxQueueInfo[] _rxq = new XdpRxQueueInfo[4];
            PagePool? _pool;

            void SetupQueue(NetDevice dev, int q)
            {
                _pool = {|#1:PagePool.Create(new PagePoolParams { Name = "rx" })|};
                _rxq[q].Register(dev, q);
                _rxq[q].RegisterMemoryModel(MemoryModelType.PagePool, _pool);
            }

            void Open(NetDevice dev)
            {
                for (var q = 0; q < dev.RxQueueCount; q++)
                {
                    {|#0:SetupQueue(dev, q)|};
                }
            }
        }
        """,
        V.Diagnostic("PP0004").WithLocation(0).WithLocation(1).WithArguments(
            "'SetupQueue' creates a pool into the one field '_pool', and this loop over the RX queues calls it for every queue"));

    [Fact]
    public Task Helper_that_creates_one_pool_per_queue_slot_or_opts_out() => V.AnalyzerAsync("""
        class Driver
        {
            readonly PagePool?[] _pools = new PagePool?[64];
            PagePool? _shared;

            void SetupQueue(int q) => _pools[q] = PagePool.Create(new PagePoolParams { Name = "rx" + q });

            void SetupShared() => _shared = PagePool.Create(new PagePoolParams { AllowSharedQueues = true });

            void Open(NetDevice dev)
            {
                for (var q = 0; q < dev.RxQueueCount; q++)
                {
                    SetupQueue(q);
                    SetupShared();
                }
            }
        }
        """);

    [Fact]
    public Task Pool_created_once_and_registered_in_a_while_or_do_loop_over_the_queues() => V.AnalyzerAsync("""
        class Driver
        {
            void Open(NetDevice dev, XdpRxQueueInfo[] rxqs)
            {
                var pool = PagePool.Create(new PagePoolParams());
                var q = 0;
                while (q < dev.RxQueueCount)
                {
                    rxqs[q].RegisterMemoryModel(MemoryModelType.PagePool, {|PP0004:pool|});
                    q++;
                }
            }

            void Reopen(NetDevice dev, XdpRxQueueInfo[] rxqs)
            {
                var pool = PagePool.Create(new PagePoolParams());
                var q = 0;
                do
                {
                    rxqs[q].RegisterMemoryModel(MemoryModelType.PagePool, {|PP0004:pool|});
                    q++;
                }
                while (q < dev.RxQueueCount);
            }

            void OpenFixed(NetDevice dev, XdpRxQueueInfo[] rxqs)
            {
                var q = 0;
                while (q < {|PP0004:4|})
                {
                    var pool = PagePool.Create(new PagePoolParams());
                    rxqs[q].Register(dev, q);
                    rxqs[q].RegisterMemoryModel(MemoryModelType.PagePool, pool);
                    q++;
                }
            }
        }
        """);

    [Fact]
    public Task While_loop_that_creates_one_pool_per_queue() => V.AnalyzerAsync("""
        class Driver
        {
            void Open(NetDevice dev, XdpRxQueueInfo[] rxqs)
            {
                var q = 0;
                while (q < dev.RxQueueCount)
                {
                    var pool = PagePool.Create(new PagePoolParams { Name = "rx" + q });
                    rxqs[q].Register(dev, q);
                    rxqs[q].RegisterMemoryModel(MemoryModelType.PagePool, pool);
                    q++;
                }
            }
        }
        """);
}
