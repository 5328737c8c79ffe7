using System.Globalization;

namespace Conveyor.EndToEnd.Tests;

/// <summary>
/// <c>conveyor workflow submit|status|cancel</c> against a real <c>conveyor up</c> (its built-in
/// workers run the <c>sum</c> steps). About 10 s; its own collection, a free port and a temp dir.
/// </summary>
public sealed class WorkflowCliTests : IDisposable
{
    private readonly TestEnvironment _env = new();

    [Fact]
    public async Task Submit_waits_for_a_chord_and_status_and_cancel_answer_with_their_exit_codes()
    {
        var port = TestEnvironment.FreePort().ToString(CultureInfo.InvariantCulture);
        var url = $"http://127.0.0.1:{port}";
        await using var up = ConveyorProcess.Start(_env.Directory, "up", "--port", port, "--store", _env.DatabasePath);
        await up.WaitForOutput("Stop with Ctrl-C");
        var flow = Path.Combine(_env.Directory, "flow.json");
        await File.WriteAllTextAsync(flow, """{"name": "cli", "workflow": {"group": [{"type": "sum", "args": [1, 2]}, {"type": "sum", "args": [3]}], "callback": {"type": "sum"}}}""");

        var (code, output) = await ConveyorProcess.Run(_env.Directory, "workflow", "submit", "--file", flow, "--wait", "--broker", url);
        Assert.True(code == 0, output);
        Assert.Contains("state:    succeeded", output, StringComparison.Ordinal);
        Assert.Contains("result:   6", output, StringComparison.Ordinal);
        var id = output.Split('\n').First(l => l.StartsWith("id:", StringComparison.Ordinal))[3..].Trim();

        (code, output) = await ConveyorProcess.Run(_env.Directory, "workflow", "status", id, "--broker", url);
        Assert.True(code == 0, output);
        Assert.Contains("3/3 steps finished", output, StringComparison.Ordinal);
        Assert.Contains("workflow.callback", output, StringComparison.Ordinal);

        (code, output) = await ConveyorProcess.Run(_env.Directory, "workflow", "cancel", id, "--broker", url);
        Assert.True(code == 1, output);
        Assert.Contains("already finished (succeeded)", output, StringComparison.Ordinal);

        (code, output) = await ConveyorProcess.Run(_env.Directory, "workflow", "status", "0190b3a4-0000-7000-8000-000000000000", "--broker", url);
        Assert.True(code == 3, output);
        Assert.Contains("no workflow", output, StringComparison.Ordinal);

        // A workflow held by a step that never ends (a queue no worker takes) is cancelled: exit 0.
        (code, output) = await ConveyorProcess.Run(_env.Directory, "workflow", "submit", """{"workflow": {"chain": [{"type": "sum", "queue": "nobody"}, {"type": "sum"}]}}""", "--broker", url);
        Assert.True(code == 0, output);
        (code, output) = await ConveyorProcess.Run(_env.Directory, "workflow", "cancel", output.Trim(), "--broker", url);
        Assert.True(code == 0, output);
        Assert.Contains("cancelled", output, StringComparison.Ordinal);
    }

    public void Dispose() => _env.Dispose();
}
