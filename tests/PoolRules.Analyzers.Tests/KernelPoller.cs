namespace PoolRules.Analyzers.Tests;

/// <summary>
/// The NAPI poller of the kernel's page_pool documentation, in C#: errors and XDP_DROP recycle direct, the SKB path
/// releases the page to the stack and refills the ring slot with a new page. Tests remove or double its calls.
/// </summary>
internal static class KernelPoller
{
    public const string ErrorRecycle = "_pool.RecycleDirect(page); // error";
    public const string DropRecycle = "_pool.RecycleDirect(page); // drop";
    public const string Release = "_pool.ReleasePage(page);";
    public const string Refill = "_ring[slot] = fresh;";

    public const string Correct = """
        sealed class RxRing
        {
            private readonly PagePool _pool;
            private readonly Page?[] _ring = new Page?[256];
            private readonly Queue<Page> _xdpTx = new();
            private int _head;

            public RxRing(PagePool pool) => _pool = pool;

            [NapiContext]
            public int Poll(Napi napi, int budget)
            {
                var dir = _pool.DmaDirection;
                var done = 0;
                while (done < budget)
                {
                    var slot = _head;
                    var page = _ring[slot];
                    if (page is null)
                    {
                        break;
                    }

                    _ring[slot] = null;
                    _head = (slot + 1) % _ring.Length;
                    done++;
                    if (HasError(page, dir))
                    {
                        _pool.RecycleDirect(page); // error
                        continue;
                    }

                    if (IsXdp(page))
                    {
                        if (RunXdp(page) == XdpAction.Drop)
                        {
                            _pool.RecycleDirect(page); // drop
                        }
                        else
                        {
                            XdpTransmit(page);
                        }
                    }
                    else
                    {
                        _pool.ReleasePage(page);
                        BuildSkb(page);
                        var fresh = _pool.DevAllocPages();
                        if (fresh is not null)
                        {
                            _ring[slot] = fresh;
                        }
                    }
                }

                napi.CompleteDone(done);
                return done;
            }

            private static bool HasError(Page page, DmaDirection dir) => page.Span[0] == 0xff && dir != DmaDirection.None;

            private static bool IsXdp(Page page) => page.Span[1] == 1;

            private static XdpAction RunXdp(Page page) => page.Span[2] == 0 ? XdpAction.Drop : XdpAction.Tx;

            private void XdpTransmit([TakesPageOwnership] Page page) => _xdpTx.Enqueue(page);

            private static void BuildSkb(Page page) => Console.WriteLine(page.Length);
        }
        """;
}
