using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using StreamJsonRpc;

namespace PoolRules.Package.Tests.Support;

/// <summary>A diagnostic as the language server reports it: id, 0-based range and message.</summary>
internal sealed record LspDiagnostic(string Code, int Line, int Character, int EndLine, int EndCharacter, string Message, JsonElement Raw);

/// <summary>
/// An LSP client for csharp-ls over the server's stdio, on StreamJsonRpc's header-delimited framing. It answers the
/// server's requests the way an editor does (configuration with analyzers enabled, capability registration,
/// progress tokens) and keeps the server's stderr and log messages for failure reports.
/// </summary>
internal sealed class LanguageServer : IAsyncDisposable
{
    private readonly Process _process;
    private readonly JsonRpc _rpc;
    private readonly StringBuilder _log = new();
    private readonly Dictionary<string, int> _versions = new(StringComparer.Ordinal);

    private LanguageServer(Process process, JsonRpc rpc)
    {
        _process = process;
        _rpc = rpc;
    }

    /// <summary>The server's stderr and window/logMessage lines so far, for failure messages.</summary>
    public string Log
    {
        get
        {
            lock (_log)
            {
                return _log.ToString();
            }
        }
    }

    public static async Task<LanguageServer> StartAsync(string executable, string workspace, CancellationToken cancellation)
    {
        var start = new ProcessStartInfo(executable)
        {
            WorkingDirectory = workspace,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        Cli.Quiet(start);
        var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {executable}.");
        var formatter = new SystemTextJsonFormatter();
        var handler = new HeaderDelimitedMessageHandler(process.StandardInput.BaseStream, process.StandardOutput.BaseStream, formatter);
        var rpc = new JsonRpc(handler);
        var server = new LanguageServer(process, rpc);
        process.ErrorDataReceived += (_, e) => server.Append("stderr: ", e.Data);
        process.BeginErrorReadLine();
        rpc.AddLocalRpcTarget(new EditorSide(server), new JsonRpcTargetOptions { AllowNonPublicInvocation = false });
        rpc.StartListening();

        var root = new Uri(workspace.EndsWith('/') ? workspace : workspace + "/");
        await rpc.InvokeWithParameterObjectAsync<JsonElement>("initialize", new
        {
            processId = Environment.ProcessId,
            rootUri = root.AbsoluteUri,
            workspaceFolders = new[] { new { uri = root.AbsoluteUri, name = "consumer" } },
            capabilities = new
            {
                workspace = new
                {
                    configuration = true,
                    workspaceFolders = true,
                    didChangeConfiguration = new { dynamicRegistration = true },
                    applyEdit = true,
                    workspaceEdit = new { documentChanges = true },
                },
                textDocument = new
                {
                    synchronization = new { dynamicRegistration = true, didSave = true },
                    diagnostic = new { dynamicRegistration = true, relatedDocumentSupport = false },
                    publishDiagnostics = new { relatedInformation = true },
                    codeAction = new
                    {
                        dynamicRegistration = true,
                        codeActionLiteralSupport = new { codeActionKind = new { valueSet = new[] { "", "quickfix", "refactor", "source" } } },
                        resolveSupport = new { properties = new[] { "edit" } },
                        dataSupport = true,
                    },
                },
                window = new { workDoneProgress = true },
            },
        }, cancellation);
        await rpc.NotifyWithParameterObjectAsync("initialized", new { });
        return server;
    }

    public Task OpenAsync(string path)
    {
        _versions[path] = 1;
        return _rpc.NotifyWithParameterObjectAsync("textDocument/didOpen", new
        {
            textDocument = new { uri = Uri(path), languageId = "csharp", version = 1, text = File.ReadAllText(path) },
        });
    }

    /// <summary>Sends the whole new text of an open document (full sync, what every client supports).</summary>
    public Task ChangeAsync(string path, string text)
    {
        var version = ++_versions[path];
        return _rpc.NotifyWithParameterObjectAsync("textDocument/didChange", new
        {
            textDocument = new { uri = Uri(path), version },
            contentChanges = new[] { new { text } },
        });
    }

    /// <summary>textDocument/diagnostic: the full report the server has for the document now.</summary>
    public async Task<IReadOnlyList<LspDiagnostic>> PullDiagnosticsAsync(string path, CancellationToken cancellation)
    {
        var report = await _rpc.InvokeWithParameterObjectAsync<JsonElement>("textDocument/diagnostic", new
        {
            textDocument = new { uri = Uri(path) },
        }, cancellation);
        if (report.ValueKind != JsonValueKind.Object || !report.TryGetProperty("items", out var items))
        {
            return [];
        }

        return items.EnumerateArray().Select(d =>
        {
            var range = d.GetProperty("range");
            var code = d.TryGetProperty("code", out var c) ? (c.ValueKind == JsonValueKind.String ? c.GetString()! : c.ToString()) : "";
            return new LspDiagnostic(
                code,
                range.GetProperty("start").GetProperty("line").GetInt32(),
                range.GetProperty("start").GetProperty("character").GetInt32(),
                range.GetProperty("end").GetProperty("line").GetInt32(),
                range.GetProperty("end").GetProperty("character").GetInt32(),
                d.TryGetProperty("message", out var m) ? m.GetString() ?? "" : "",
                d.Clone());
        }).ToArray();
    }

    public static string Uri(string path) => new Uri(path).AbsoluteUri;

    public async ValueTask DisposeAsync()
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await _rpc.InvokeWithCancellationAsync<JsonElement>("shutdown", [], timeout.Token);
            await _rpc.NotifyAsync("exit");
            await _process.WaitForExitAsync(timeout.Token);
        }
        catch (Exception e) when (e is OperationCanceledException or ConnectionLostException or RemoteInvocationException or ObjectDisposedException or IOException)
        {
            // The server is going away regardless; a stuck one is killed below.
        }
        finally
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }

            _rpc.Dispose();
            _process.Dispose();
        }
    }

    private void Append(string prefix, string? line)
    {
        if (line is not null)
        {
            lock (_log)
            {
                _log.Append(prefix).AppendLine(line);
            }
        }
    }

    /// <summary>The requests and notifications the server sends to its editor.</summary>
    private sealed class EditorSide(LanguageServer server)
    {
        /// <summary>One answer per requested item: the whole "csharp" section, or a single "csharp.x" setting.</summary>
        [JsonRpcMethod("workspace/configuration", UseSingleObjectParameterDeserialization = true)]
        public object?[] Configuration(JsonElement parameters)
        {
            var settings = new Dictionary<string, object?> { ["analyzersEnabled"] = true, ["logLevel"] = "info", ["locale"] = "en-US" };
            return parameters.GetProperty("items").EnumerateArray().Select(item =>
            {
                var section = item.TryGetProperty("section", out var s) ? s.GetString() : null;
                return section switch
                {
                    "csharp" => settings,
                    not null when section.StartsWith("csharp.", StringComparison.Ordinal) => settings.GetValueOrDefault(section["csharp.".Length..]),
                    _ => null,
                };
            }).ToArray();
        }

        [JsonRpcMethod("client/registerCapability", UseSingleObjectParameterDeserialization = true)]
        public object? RegisterCapability(JsonElement parameters) => null;

        [JsonRpcMethod("client/unregisterCapability", UseSingleObjectParameterDeserialization = true)]
        public object? UnregisterCapability(JsonElement parameters) => null;

        [JsonRpcMethod("window/workDoneProgress/create", UseSingleObjectParameterDeserialization = true)]
        public object? CreateProgress(JsonElement parameters) => null;

        [JsonRpcMethod("workspace/diagnostic/refresh")]
        public object? RefreshDiagnostics() => null;

        [JsonRpcMethod("workspace/applyEdit", UseSingleObjectParameterDeserialization = true)]
        public object ApplyEdit(JsonElement parameters) => new { applied = false, failureReason = "the test applies edits itself" };

        [JsonRpcMethod("window/logMessage", UseSingleObjectParameterDeserialization = true)]
        public void LogMessage(JsonElement parameters) => server.Append("log: ", parameters.TryGetProperty("message", out var m) ? m.GetString() : parameters.ToString());

        [JsonRpcMethod("window/showMessage", UseSingleObjectParameterDeserialization = true)]
        public void ShowMessage(JsonElement parameters) => server.Append("show: ", parameters.TryGetProperty("message", out var m) ? m.GetString() : parameters.ToString());

        [JsonRpcMethod("$/progress", UseSingleObjectParameterDeserialization = true)]
        public void Progress(JsonElement parameters) => server.Append("progress: ", parameters.ToString());

        [JsonRpcMethod("textDocument/publishDiagnostics", UseSingleObjectParameterDeserialization = true)]
        public void PublishDiagnostics(JsonElement parameters)
        {
            // Pull diagnostics are what the test asserts; pushed ones are not needed.
        }
    }
}
