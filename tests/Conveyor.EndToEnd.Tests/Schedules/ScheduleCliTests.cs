using System.Globalization;

namespace Conveyor.EndToEnd.Tests.Schedules;

/// <summary>
/// <c>conveyor schedules</c> against a real <c>conveyor server</c> on a SQLite file, its refusals of bad
/// input (exit 2, one line naming the field, before any call), and a bad schedule in the configuration
/// stopping the start with its key named.
/// </summary>
public sealed class ScheduleCliTests : IDisposable
{
    private readonly TestEnvironment _env = new();

    public static TheoryData<string[], string> BadInput() => new()
    {
        { ["schedules", "set", "nightly", "report", "--cron", "every day"], "cron: 'every day' is not a cron expression" },
        { ["schedules", "set", "nightly", "report"], "cron: give either cron or interval" },
        { ["schedules", "set", "nightly", "report", "--cron", "0 3 * * *", "--every", "5m"], "give either cron or interval" },
        { ["schedules", "set", "nightly", "report", "--cron", "0 3 * * *", "--tz", "Mars/Olympus"], "is not a known IANA time zone" },
        { ["schedules", "set", "nightly", "report", "--cron", "0 3 * * *", "--misfire", "sometimes"], "--misfire: 'sometimes' is not skip, once or catch_up" },
        { ["schedules", "set", "Nightly", "report", "--cron", "0 3 * * *"], "is not a valid schedule name" },
        { ["schedules", "set", "nightly", "report", "--every", "0.5"], "interval must be between 1" },
        { ["schedules", "pause", "Bad Name"], "is not a valid schedule name" },
    };

    [Theory]
    [MemberData(nameof(BadInput))]
    public async Task Bad_input_is_refused_with_the_field_and_exit_2(string[] args, string message)
    {
        var (code, output) = await ConveyorProcess.Run(_env.Directory, [.. args, "--broker", "http://127.0.0.1:1"]);
        Assert.True(code == 2, $"exit {code.ToString(CultureInfo.InvariantCulture)}; output:\n{output}");
        Assert.Contains(message, output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_bad_schedule_in_the_configuration_stops_the_server_naming_its_key()
    {
        await using var server = ConveyorProcess.Start(_env.Directory,
            new Dictionary<string, string> { ["CONVEYOR__Schedules__nightly__Cron"] = "0 3 * *", ["CONVEYOR__Schedules__nightly__Type"] = "report" },
            "server", "--port", "0", "--store", _env.DatabasePath);
        Assert.Equal(2, await server.WaitForExit(TimeSpan.FromSeconds(60)));
        Assert.Contains("Schedules:nightly:Cron: '0 3 * *' is not a cron expression", server.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Set_list_show_pause_resume_run_and_delete_through_a_real_server()
    {
        var port = TestEnvironment.FreePort();
        var url = $"http://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}";
        await using var server = ConveyorProcess.Start(_env.Directory, "server", "--port", port.ToString(CultureInfo.InvariantCulture), "--store", _env.DatabasePath);
        await server.WaitForOutput("Conveyor is running");
        async Task<string> Ok(params string[] args)
        {
            var (code, output) = await ConveyorProcess.Run(_env.Directory, [.. args, "--broker", url]);
            Assert.True(code == 0, $"conveyor {string.Join(' ', args)}: exit {code.ToString(CultureInfo.InvariantCulture)}\n{output}");
            return output;
        }
        Assert.Contains("schedule nightly (cron 0 3 * * *) next run", await Ok("schedules", "set", "nightly", "report.build", "{\"kind\":\"daily\"}", "--cron", "0 3 * * *", "--tz", "Europe/Paris", "--queue", "reports"));
        var list = await Ok("schedules");
        Assert.Contains("nightly", list);
        Assert.Contains("report.build", list);
        Assert.Contains("Europe/Paris", await Ok("schedules", "show", "nightly"));
        Assert.Contains("paused", await Ok("schedules", "pause", "nightly"));
        Assert.Contains("next run", await Ok("schedules", "resume", "nightly"));
        Assert.Contains("for schedule nightly", await Ok("schedules", "run", "nightly"));
        Assert.Contains("\"last_task_id\"", await Ok("schedules", "show", "nightly", "--json"));
        Assert.Contains("schedule nightly deleted", await Ok("schedules", "delete", "nightly"));
        var (code, output) = await ConveyorProcess.Run(_env.Directory, "schedules", "show", "nightly", "--broker", url);
        Assert.True(code == 3, $"exit {code.ToString(CultureInfo.InvariantCulture)}\n{output}");
        Assert.Contains("no schedule named 'nightly'", output, StringComparison.Ordinal);
    }

    public void Dispose() => _env.Dispose();
}
