using System.Globalization;

namespace Conveyor.EndToEnd.Tests.Configuration;

/// <summary>
/// The three sources of a real <c>conveyor server</c>'s settings and their order: a flag wins over
/// <c>CONVEYOR__Section__Key</c>, which wins over <c>appsettings.json</c>; and <c>--log-format json</c>
/// makes every log entry one JSON object.
/// </summary>
public sealed class SettingsSourcesTests : IDisposable
{
    private readonly TestEnvironment _env = new();

    public void Dispose() => _env.Dispose();

    private static string P(int port) => port.ToString(CultureInfo.InvariantCulture);

    private async Task<string> RunningOn(Dictionary<string, string> env, params string[] args)
    {
        await using var server = ConveyorProcess.Start(_env.Directory, env, ["server", "--store", ":memory:", .. args]);
        await server.WaitForOutput("Conveyor is running on ");
        var line = server.Output.Split('\n').First(l => l.StartsWith("Conveyor is running on ", StringComparison.Ordinal));
        return line.Split(' ')[4];
    }

    [Fact]
    public async Task A_flag_wins_over_the_environment_which_wins_over_the_file()
    {
        int file = TestEnvironment.FreePort(), envPort = TestEnvironment.FreePort(), flag = TestEnvironment.FreePort();
        await File.WriteAllTextAsync(Path.Combine(_env.Directory, "appsettings.json"), $$"""{ "Server": { "Port": {{P(file)}} } }""");
        var none = new Dictionary<string, string>();
        var env = new Dictionary<string, string> { ["CONVEYOR__Server__Port"] = P(envPort) };

        Assert.Equal($"http://127.0.0.1:{P(file)}", await RunningOn(none));
        Assert.Equal($"http://127.0.0.1:{P(envPort)}", await RunningOn(env));
        Assert.Equal($"http://127.0.0.1:{P(flag)}", await RunningOn(env, "--port", P(flag)));
    }

    [Fact]
    public async Task A_config_file_named_by_flag_is_read_instead_of_appsettings_json()
    {
        int cwd = TestEnvironment.FreePort(), named = TestEnvironment.FreePort();
        await File.WriteAllTextAsync(Path.Combine(_env.Directory, "appsettings.json"), $$"""{ "Server": { "Port": {{P(cwd)}} } }""");
        var other = Path.Combine(_env.Directory, "broker.json");
        await File.WriteAllTextAsync(other, $$"""{ "Server": { "Port": {{P(named)}} } }""");
        Assert.Equal($"http://127.0.0.1:{P(named)}", await RunningOn([], "--config", other));
    }

    [Fact]
    public async Task Json_log_format_writes_one_json_object_per_entry()
    {
        var port = TestEnvironment.FreePort();
        // A store that does not exist yet is created at start: its log entry is the line to look at.
        await using var server = ConveyorProcess.Start(_env.Directory, new Dictionary<string, string> { ["CONVEYOR__Logging__LogLevel__Default"] = "Information" },
            "server", "--port", P(port), "--store", _env.DatabasePath, "--log-format", "json");
        await server.WaitForOutput("Conveyor is running on ");
        // The banner is written straight to the console; log entries go through the console
        // logger's own queue and may come out after it: wait for the host's last start entry too.
        await server.WaitForOutput("Application started");
        var entries = server.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Where(l => l.StartsWith('{')).ToList();
        Assert.NotEmpty(entries);
        foreach (var e in entries)
        {
            using var doc = System.Text.Json.JsonDocument.Parse(e);
            Assert.True(doc.RootElement.TryGetProperty("Category", out _), e);
            Assert.True(doc.RootElement.TryGetProperty("Message", out _), e);
        }
    }
}
