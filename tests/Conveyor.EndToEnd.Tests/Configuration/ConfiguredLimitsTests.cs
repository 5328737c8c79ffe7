using System.Globalization;

namespace Conveyor.EndToEnd.Tests.Configuration;

/// <summary>
/// Queue limits from the configuration (<c>CONVEYOR__Limits__&lt;queue&gt;__&lt;name&gt;__…</c>) stored by
/// real <c>conveyor server</c> processes at start: two brokers with the same configuration on one SQLite
/// file both start and leave one limit as configured (idempotent), shown by <c>conveyor queues limits</c>;
/// a bad value stops the start with its key named (exit 2). About 5 s (up to 20 s on 2 busy cores): three
/// process starts. Its own temp directory and free ports, so it runs beside other tests.
/// </summary>
public sealed class ConfiguredLimitsTests : IDisposable
{
    private readonly TestEnvironment _env = new();

    private static Dictionary<string, string> Limits() => new()
    {
        ["CONVEYOR__Limits__emails__per-tenant__Key"] = "metadata.tenant",
        ["CONVEYOR__Limits__emails__per-tenant__Concurrency"] = "2",
        ["CONVEYOR__Limits__emails__api__Rate"] = "10",
        ["CONVEYOR__Limits__emails__api__Interval"] = "1s",
    };

    [Fact]
    public async Task Two_brokers_with_the_same_limits_in_their_configuration_store_them_once()
    {
        var ports = new[] { TestEnvironment.FreePort(), TestEnvironment.FreePort() }.Select(p => p.ToString(CultureInfo.InvariantCulture)).ToArray();
        await using var a = ConveyorProcess.Start(_env.Directory, Limits(), "server", "--port", ports[0], "--store", _env.DatabasePath);
        await a.WaitForOutput("Conveyor is running");
        await using var b = ConveyorProcess.Start(_env.Directory, Limits(), "server", "--port", ports[1], "--store", _env.DatabasePath);
        await b.WaitForOutput("Conveyor is running");
        foreach (var port in ports)
        {
            var (client, http) = TestEnvironment.Client($"http://127.0.0.1:{port}");
            using (http)
            {
                var limits = (await client.QueueLimitList("emails")).Limits.Select(l => l.Limit).OrderBy(l => l.Name, StringComparer.Ordinal).ToList();
                Assert.Equal(2, limits.Count);
                Assert.Equal(("api", null, null, 10, TimeSpan.FromSeconds(1)), (limits[0].Name, limits[0].Key, limits[0].Concurrency, limits[0].Rate, limits[0].Interval));
                Assert.Equal(("per-tenant", "metadata.tenant", 2, null), (limits[1].Name, limits[1].Key, limits[1].Concurrency, limits[1].Rate));
            }
        }
        var (code, output) = await ConveyorProcess.Run(_env.Directory, "queues", "limits", "emails", "--broker", $"http://127.0.0.1:{ports[1]}");
        Assert.True(code == 0, output);
        Assert.Contains("per-tenant", output, StringComparison.Ordinal);
        Assert.Contains("metadata.tenant", output, StringComparison.Ordinal);
        Assert.Contains("Limit Limits:emails:per-tenant from configuration stored", b.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_bad_limit_in_the_configuration_stops_the_server_naming_its_key()
    {
        await using var server = ConveyorProcess.Start(_env.Directory,
            new Dictionary<string, string> { ["CONVEYOR__Limits__emails__per-tenant__Key"] = "tenant", ["CONVEYOR__Limits__emails__per-tenant__Concurrency"] = "2" },
            "server", "--port", "0", "--store", _env.DatabasePath);
        Assert.Equal(2, await server.WaitForExit(TimeSpan.FromSeconds(60)));
        Assert.Contains("Limits:emails:per-tenant:Key: key must be metadata.<name> or args.<field>", server.Output, StringComparison.Ordinal);
    }

    public void Dispose() => _env.Dispose();
}
