using System.Threading;
using System.Threading.Tasks;
using Basic.Reference.Assemblies;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Testing;
using Microsoft.CodeAnalysis.Testing;
using PoolRules.Analyzers;
using Xunit;
using Verify = PoolRules.CodeFixes.Tests.VerifyFix<PoolRules.Analyzers.PP0003DirectRecycleOutsideNapiAnalyzer, PoolRules.CodeFixes.PP0003DirectRecycleCodeFix>;

namespace PoolRules.CodeFixes.Tests;

public class PP0003DirectRecycleCodeFixTests
{
    [Fact]
    public Task RecycleDirect_outside_napi_becomes_a_put_through_the_ring()
    {
        const string source = """
            class Driver
            {
                void Drain(PagePool pool, Page page)
                {
                    {|PP0003:pool.RecycleDirect(page)|};
                }
            }
            """;
        const string fixedSource = """
            class Driver
            {
                void Drain(PagePool pool, Page page)
                {
                    pool.PutFullPage(page, allowDirect: false);
                }
            }
            """;
        return Verify.FixAsync(source, fixedSource, equivalenceKey: EquivalenceKeys.PutThroughRing);
    }

    [Fact]
    public Task PutFullPage_with_true_gets_allowDirect_false()
    {
        const string source = """
            class Driver
            {
                void Drain(PagePool pool, Page page)
                {
                    {|PP0003:pool.PutFullPage(page, true)|};
                }
            }
            """;
        const string fixedSource = """
            class Driver
            {
                void Drain(PagePool pool, Page page)
                {
                    pool.PutFullPage(page, allowDirect: false);
                }
            }
            """;
        return Verify.FixAsync(source, fixedSource, equivalenceKey: EquivalenceKeys.PutThroughRing);
    }

    [Fact]
    public Task PutPage_keeps_its_sync_size()
    {
        const string source = """
            class Driver
            {
                void Complete(PagePool pool, Page page, int length)
                {
                    {|PP0003:pool.PutPage(page, length, allowDirect: true)|};
                }
            }
            """;
        const string fixedSource = """
            class Driver
            {
                void Complete(PagePool pool, Page page, int length)
                {
                    pool.PutPage(page, length, allowDirect: false);
                }
            }
            """;
        return Verify.FixAsync(source, fixedSource, equivalenceKey: EquivalenceKeys.PutThroughRing);
    }

    [Fact]
    public Task Lambda_handed_to_Task_Run_is_only_offered_the_ring()
    {
        const string source = """
            class Driver
            {
                Task Later(PagePool pool, Page page) => Task.Run(() => {|PP0003:pool.RecycleDirect(page)|});
            }
            """;
        const string fixedSource = """
            class Driver
            {
                Task Later(PagePool pool, Page page) => Task.Run(() => pool.PutFullPage(page, allowDirect: false));
            }
            """;
        return Verify.FixAsync(source, fixedSource, equivalenceKey: EquivalenceKeys.PutThroughRing);
    }

    [Fact]
    public Task Marking_the_method_napi_context_keeps_the_direct_recycle()
    {
        const string source = """
            class Driver
            {
                // Runs from the poll only.
                private void Drop(PagePool pool, Page page)
                {
                    {|PP0003:pool.RecycleDirect(page)|};
                }
            }
            """;
        const string fixedSource = """
            class Driver
            {
                // Runs from the poll only.
                [NapiContext]
                private void Drop(PagePool pool, Page page)
                {
                    pool.RecycleDirect(page);
                }
            }
            """;
        return Verify.FixAsync(source, fixedSource, codeActionIndex: 1, equivalenceKey: EquivalenceKeys.MarkNapiContext);
    }

    [Fact]
    public Task Marking_a_local_function_napi_context()
    {
        const string source = """
            class Driver
            {
                Action Prepare(PagePool pool, Page page)
                {
                    return Drop;

                    void Drop()
                    {
                        {|PP0003:pool.RecycleDirect(page)|};
                    }
                }
            }
            """;
        const string fixedSource = """
            class Driver
            {
                Action Prepare(PagePool pool, Page page)
                {
                    return Drop;

                    [NapiContext]
                    void Drop()
                    {
                        pool.RecycleDirect(page);
                    }
                }
            }
            """;
        return Verify.FixAsync(source, fixedSource, codeActionIndex: 1, equivalenceKey: EquivalenceKeys.MarkNapiContext);
    }

    [Fact]
    public async Task Marking_adds_the_using_directive_when_the_file_lacks_it()
    {
        var test = new CSharpCodeFixTest<PP0003DirectRecycleOutsideNapiAnalyzer, PP0003DirectRecycleCodeFix, DefaultVerifier>
        {
            ReferenceAssemblies = new ReferenceAssemblies("net8.0"),
            TestCode = """
                using System;

                class Driver
                {
                    void Drop(PoolRules.Runtime.PagePool pool, PoolRules.Runtime.Page page)
                    {
                        {|PP0003:pool.RecycleDirect(page)|};
                    }
                }
                """,
            FixedCode = """
                using System;
                using PoolRules.Runtime;

                class Driver
                {
                    [NapiContext]
                    void Drop(PoolRules.Runtime.PagePool pool, PoolRules.Runtime.Page page)
                    {
                        pool.RecycleDirect(page);
                    }
                }
                """,
            CodeActionIndex = 1,
            CodeActionEquivalenceKey = EquivalenceKeys.MarkNapiContext,
        };
        test.TestState.AdditionalReferences.AddRange(Net80.References.All);
        test.TestState.AdditionalReferences.Add(MetadataReference.CreateFromFile(typeof(PoolRules.Runtime.PagePool).Assembly.Location));
        await test.RunAsync(CancellationToken.None);
    }

    [Fact]
    public Task Fix_all_puts_every_direct_recycle_through_the_ring_in_every_document()
    {
        const string first = """
            class First
            {
                void A(PagePool pool, Page page) => {|PP0003:pool.RecycleDirect(page)|};

                void B(PagePool pool, Page page, Page other)
                {
                    {|PP0003:pool.PutFullPage(page, allowDirect: true)|};
                    {|PP0003:pool.PutPage(other, 64, true)|};
                }
            }
            """;
        const string firstFixed = """
            class First
            {
                void A(PagePool pool, Page page) => pool.PutFullPage(page, allowDirect: false);

                void B(PagePool pool, Page page, Page other)
                {
                    pool.PutFullPage(page, allowDirect: false);
                    pool.PutPage(other, 64, allowDirect: false);
                }
            }
            """;
        const string second = """
            class Second
            {
                void C(PagePool pool, Page page) => ThreadPool.QueueUserWorkItem(_ => {|PP0003:pool.RecycleDirect(page)|});
            }
            """;
        const string secondFixed = """
            class Second
            {
                void C(PagePool pool, Page page) => ThreadPool.QueueUserWorkItem(_ => pool.PutFullPage(page, allowDirect: false));
            }
            """;
        return Verify.FixAllAsync([(first, firstFixed), (second, secondFixed)], equivalenceKey: EquivalenceKeys.PutThroughRing);
    }
}
