using System.Globalization;

namespace Conveyor.EndToEnd.Tests.Logs;

/// <summary>
/// A refused token is an expected condition: a real <c>conveyor worker</c> whose token the broker
/// refuses at start stops with one line and exit code 4; one whose token stops being accepted later
/// (the broker restarted with other tokens) says so in one line, backs off, and says so again in one
/// line when it is accepted once more. Never a stack trace. The broker logs the refusals at most at debug.
/// </summary>
public sealed class RefusedTokenTests : IDisposable
{
    private readonly TestEnvironment _env = new();

    public void Dispose() => _env.Dispose();

    private async Task<ConveyorProcess> Broker(int port, string token)
    {
        var server = ConveyorProcess.Start(_env.Directory, new Dictionary<string, string> { ["CONVEYOR_TOKENS"] = $"admin:{token}" },
            "server", "--port", port.ToString(CultureInfo.InvariantCulture), "--store", _env.DatabasePath);
        await server.WaitForOutput("Conveyor is running");
        return server;
    }

    private static int Count(string output, string text) =>
        output.Split('\n').Count(l => l.Contains(text, StringComparison.Ordinal));

    [Fact]
    public async Task A_wrong_token_at_start_stops_the_worker_with_one_line_and_exit_code_4()
    {
        var port = TestEnvironment.FreePort();
        await using var broker = await Broker(port, "the-right-secret");
        await using var worker = ConveyorProcess.Start(_env.Directory, "worker", "--broker", $"http://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}", "--token", "wrong");
        var code = await worker.WaitForExit(TimeSpan.FromMinutes(1));
        Assert.True(code == 4, $"exit {code.ToString(CultureInfo.InvariantCulture)}:\n{worker.Output}");
        var lines = worker.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var line = Assert.Single(lines);
        Assert.Contains("refused the token", line, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", broker.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("fail:", broker.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("warn:", broker.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_token_refused_later_is_said_once_backed_off_and_said_once_when_accepted_again()
    {
        var port = TestEnvironment.FreePort();
        var url = $"http://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}";
        var broker = await Broker(port, "secret-one");
        await using var worker = ConveyorProcess.Start(_env.Directory, "worker", "--broker", url, "--token", "secret-one");
        await worker.WaitForOutput("concurrency");

        broker.Terminate();
        await broker.WaitForExit(TimeSpan.FromSeconds(30));
        await broker.DisposeAsync();
        broker = await Broker(port, "secret-two");
        await worker.WaitForOutput("refused this worker's token", TimeSpan.FromSeconds(60));
        // Heartbeats every second and leases keep meeting the refusal: still one line, and the lease
        // loop backs off (5 s, 15 s, 30 s) instead of asking every 250 ms.
        await Task.Delay(TimeSpan.FromSeconds(8));
        Assert.Equal(1, Count(worker.Output, "refused this worker's token"));
        Assert.DoesNotContain("   at ", worker.Output, StringComparison.Ordinal);
        Assert.False(worker.HasExited, worker.Output);

        await broker.DisposeAsync();
        broker = await Broker(port, "secret-one");
        await worker.WaitForOutput("accepts this worker's token again", TimeSpan.FromSeconds(60));
        Assert.Equal(1, Count(worker.Output, "accepts this worker's token again"));
        Assert.DoesNotContain("   at ", worker.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", broker.Output, StringComparison.Ordinal);
        await broker.DisposeAsync();
    }
}
