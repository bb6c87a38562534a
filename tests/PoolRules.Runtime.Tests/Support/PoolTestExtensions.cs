using System.Collections.Generic;
using Xunit;

namespace PoolRules.Runtime.Tests.Support;

internal static class PoolTestExtensions
{
    /// <summary>Allocates <paramref name="count"/> pages, asserting each allocation succeeds.</summary>
    public static List<Page> AllocMany(this PagePool pool, int count)
    {
        var pages = new List<Page>(count);
        for (var i = 0; i < count; i++)
        {
            var page = pool.AllocPages(AllocFlags.Atomic);
            Assert.NotNull(page);
            pages.Add(page);
        }

        return pages;
    }

    /// <summary>Puts every page back with <paramref name="allowDirect"/>.</summary>
    public static void PutAll(this PagePool pool, IEnumerable<Page> pages, bool allowDirect)
    {
        foreach (var page in pages)
        {
            pool.PutFullPage(page, allowDirect);
        }
    }
}
