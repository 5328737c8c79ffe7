using System.Globalization;

namespace Conveyor.EndToEnd.Tests;

/// <summary>
/// The conveyor command refuses bad input with one clear line and a non-zero exit code, before it
/// touches anything: no broker is running for most of these, and none is needed to say no.
/// </summary>
public sealed class CliBadInputTests : IDisposable
{
    private readonly TestEnvironment _env = new();

    public static TheoryData<string[], int, string> Cases() => new()
    {
        { ["submit", "Fib"], 2, "is not a valid task type" },
        { ["submit", "fib", "{\"n\": 35"], 2, "ARGS_JSON is not valid JSON" },
        { ["submit", "fib", "{}", "--priority", "12"], 2, "priority must be between 0 and 9" },
        { ["submit", "fib", "{}", "--delay", "-5"], 2, "is negative" },
        { ["submit", "fib", "{}", "--delay", "soon"], 2, "is not a duration" },
        { ["submit", "fib", "{}", "--queue", "Bad Queue"], 2, "is not a valid queue name" },
        { ["submit", "fib", "{}", "--broker", "ftp://example"], 2, "is not an http:// or https:// URL" },
        { ["status", "not-an-id"], 2, "is not a task id" },
        { ["server", "--port", "99999"], 2, "Server:Port = '99999': must be between 0 and 65535" },
        { ["server", "--host", "0.0.0.0", "--port", "0"], 2, "refusing to listen on" },
        { ["server", "--store", "/no/such/folder/x.db"], 2, "does not exist" },
        { ["worker", "--concurrency", "0", "--store", ":memory:"], 2, "concurrency must be between 1" },
        { ["worker", "--max-prefetch", "-1", "--store", ":memory:"], 2, "max_prefetch must be between 0 and 1000" },
        { ["bench", "--tasks", "0"], 2, "--tasks must be between 1" },
        { ["bench", "--workloads", "backlog", "--backlog", "10k"], 2, "--backlog: '10k' is not a number of tasks" }, // perf
        { ["bench", "--workloads", "backlog", "--backlog-delayed", "-1"], 2, "--backlog-delayed must be between 0" }, // perf
        { ["token", "create", "--scope", "root"], 2, "is not a scope" },
        { ["dlq", "retry"], 2, "name a task ID, or --all" },
        { ["frobnicate"], 2, "Unrecognized command or argument 'frobnicate'" },
        // workflows:
        { ["workflow", "status", "nope"], 2, "is not a workflow id" },
        { ["workflow", "submit", "{\"workflow\": {\"chain\": []}}"], 2, "workflow.chain: a chain needs at least one step" },
        { ["workflow", "submit", "{oops"], 2, "the workflow is not valid JSON" },
        { ["workflow", "submit", "--file", "/no/such/flow.json"], 2, "cannot read /no/such/flow.json" },
        { ["workflow", "submit"], 2, "give the workflow as WORKFLOW_JSON or --file FILE" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Bad_input_gets_a_clear_message_and_a_non_zero_exit(string[] args, int exitCode, string message)
    {
        var (code, output) = await ConveyorProcess.Run(_env.Directory, args);
        Assert.True(code == exitCode, $"exit {code.ToString(CultureInfo.InvariantCulture)}, expected {exitCode.ToString(CultureInfo.InvariantCulture)}; output:\n{output}");
        Assert.Contains(message, output, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", output, StringComparison.Ordinal); // no stack trace
        Assert.False(File.Exists(_env.DatabasePath), "a refused command created no store");
    }

    [Fact]
    public async Task An_unreachable_broker_is_reported_with_exit_code_4()
    {
        var port = TestEnvironment.FreePort();
        var (code, output) = await ConveyorProcess.Run(_env.Directory, "queues", "--broker", $"http://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}");
        Assert.Equal(4, code);
        Assert.Contains("cannot reach the broker", output, StringComparison.Ordinal);
    }

    public void Dispose() => _env.Dispose();
}
