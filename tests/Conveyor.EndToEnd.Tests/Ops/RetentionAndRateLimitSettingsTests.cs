using System.Globalization;
using System.Net;
using System.Text.Json;

namespace Conveyor.EndToEnd.Tests.Ops;

/// <summary>
/// Retention and rate limits come from <c>appsettings.json</c>, <c>CONVEYOR__…</c> variables and flags
/// like every other setting: a real <c>conveyor server</c> applies good values (the retention it reports,
/// the 429 past the limit), and a bad one stops it at start with one line naming the key and the value.
/// About 10 s.
/// </summary>
[Collection(nameof(RetentionAndRateLimitSettingsTests))]
public sealed class RetentionAndRateLimitSettingsTests : IDisposable
{
    private readonly TestEnvironment _env = new();

    public void Dispose() => _env.Dispose();

    public static TheoryData<string[], string, string> BadFlags() => new()
    {
        { ["server", "--retention", "succeeded=soon"], "Retention:Rules = 'succeeded=soon'", "" },
        { ["up", "--retention", "finished=1h"], "Retention:Rules = 'finished=1h'", "" },
        { ["server", "--retention-max", "-1"], "Retention:MaxCount = '-1'", "must be 0 or more" },
        { ["server", "--retention-max", "many"], "Retention:MaxCount: 'many'", "is not a whole number" },
        { ["server", "--retention-default", "0s"], "Retention:DefaultMaxAge = '0s'", "must be a positive duration" },
        { ["server", "--rate-limit-per-token", "-5"], "Server:RateLimitPerToken = '-5'", "must be 0 (off) or more" },
        { ["server", "--rate-limit-per-address", "x"], "Server:RateLimitPerAddress: 'x'", "is not a whole number" },
        { ["server", "--rate-limit-window", "0s"], "Server:RateLimitWindow = '0s'", "must be a positive duration" },
    };

    [Theory]
    [MemberData(nameof(BadFlags))]
    public async Task A_bad_retention_or_rate_limit_flag_stops_the_start_naming_the_key(string[] args, string names, string problem)
    {
        var (code, output) = await ConveyorProcess.Run(_env.Directory, [.. args, "--store", _env.DatabasePath]);
        AssertRefused(code, output, names, problem);
    }

    [Fact]
    public async Task A_bad_retention_rule_from_the_environment_is_named()
    {
        await using var p = ConveyorProcess.Start(_env.Directory, new Dictionary<string, string> { ["CONVEYOR__Retention__Rules"] = "succeeded=1h/lots" },
            "server", "--store", _env.DatabasePath, "--port", "0");
        var code = await p.WaitForExit(TimeSpan.FromSeconds(60));
        AssertRefused(code, p.Output, "Retention:Rules = 'succeeded=1h/lots'", "");
    }

    [Fact]
    public async Task A_bad_rate_limit_from_appsettings_is_named()
    {
        File.WriteAllText(Path.Combine(_env.Directory, "appsettings.json"), """{ "Server": { "RateLimitWindow": "-1s" } }""");
        var (code, output) = await ConveyorProcess.Run(_env.Directory, "server", "--store", _env.DatabasePath);
        AssertRefused(code, output, "Server:RateLimitWindow: '-1s'", "is negative");
    }

    [Fact]
    public async Task Retention_and_rate_limits_from_appsettings_and_the_environment_are_applied()
    {
        File.WriteAllText(Path.Combine(_env.Directory, "appsettings.json"),
            """{ "Retention": { "Rules": "succeeded=1h,emails:failed=2d", "DefaultMaxAge": "3d" }, "Server": { "RateLimitWindow": "1m" } }""");
        var port = TestEnvironment.FreePort();
        await using var server = ConveyorProcess.Start(_env.Directory,
            new Dictionary<string, string> { ["CONVEYOR__Retention__MaxCount"] = "500", ["CONVEYOR__Server__RateLimitPerAddress"] = "5" },
            "server", "--port", port.ToString(CultureInfo.InvariantCulture), "--store", _env.DatabasePath);
        await server.WaitForOutput("Conveyor is running", TimeSpan.FromSeconds(60));
        var (_, http) = TestEnvironment.Client($"http://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}");
        using (http)
        {
            using var retention = JsonDocument.Parse(await http.GetStringAsync("api/v1/retention"));
            var text = retention.RootElement.ToString();
            Assert.Equal("configuration", retention.RootElement.GetProperty("source").GetString());
            Assert.Contains("\"max_count\":500", text.Replace(" ", "", StringComparison.Ordinal), StringComparison.Ordinal);
            Assert.Contains("emails", text, StringComparison.Ordinal);
            var rules = retention.RootElement.GetProperty("policy").GetProperty("rules").EnumerateArray().ToList();
            static string? Queue(JsonElement r) => r.TryGetProperty("queue", out var q) && q.ValueKind == JsonValueKind.String ? q.GetString() : null;
            Assert.Contains(rules, r => Queue(r) is null && r.GetProperty("state").GetString() == "succeeded");
            Assert.Contains(rules, r => Queue(r) == "emails" && r.GetProperty("state").GetString() == "failed");

            // Five requests a minute from this address, then 429 with Retry-After.
            var statuses = new List<HttpStatusCode>();
            for (var i = 0; i < 8; i++) statuses.Add((await http.GetAsync("api/v1/queues")).StatusCode);
            Assert.Contains(HttpStatusCode.TooManyRequests, statuses);
            Assert.True(statuses.Count(s => s == HttpStatusCode.TooManyRequests) >= 2, string.Join(",", statuses));
        }
    }

    private static void AssertRefused(int code, string output, string names, string problem)
    {
        Assert.True(code == 2, $"exit {code.ToString(CultureInfo.InvariantCulture)}:\n{output}");
        Assert.Contains(names, output, StringComparison.Ordinal);
        Assert.Contains(problem, output, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", output, StringComparison.Ordinal);
    }
}
