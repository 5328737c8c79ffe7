using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Conveyor.EndToEnd.Tests.Ops;

/// <summary>
/// Redis not up when Conveyor starts is an expected condition (compose starts everything at once): a
/// real <c>conveyor up</c> on a free port with no Redis listens at once, says in one line that the
/// store is unreachable and that it keeps trying, answers <c>/healthz</c> 200, <c>/readyz</c> 503 and a
/// submit 503 <c>unavailable</c> with <c>Retry-After</c>; once a redis-server starts on that port it
/// connects by itself (one line), is ready, and a submitted task runs. About 10 s.
/// </summary>
[Collection(nameof(StoreUnreachableAtStartTests))]
public sealed class StoreUnreachableAtStartTests : IDisposable
{
    private readonly TestEnvironment _env = new();

    public void Dispose() => _env.Dispose();

    private static int Count(string output, string text) =>
        output.Split('\n').Count(l => l.Contains(text, StringComparison.Ordinal));

    [Fact]
    public async Task Up_without_redis_says_so_once_answers_503_and_becomes_ready_when_redis_starts()
    {
        using var redis = new RedisServer(Path.Combine(_env.Directory, "redis"));
        var port = TestEnvironment.FreePort();
        var url = $"http://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}";
        await using var up = ConveyorProcess.Start(_env.Directory, "up", "--port", port.ToString(CultureInfo.InvariantCulture), "--store", redis.Url);
        await up.WaitForOutput("Conveyor is running", TimeSpan.FromSeconds(60));
        var (_, http) = TestEnvironment.Client(url);
        using (http)
        {
            Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("healthz")).StatusCode);
            var ready = await http.GetAsync("readyz");
            Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
            Assert.Contains("store_unreachable", await ready.Content.ReadAsStringAsync(), StringComparison.Ordinal);

            var refused = await http.PostAsJsonAsync("api/v1/tasks", new { type = "noop" });
            Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
            Assert.True(refused.Headers.RetryAfter?.Delta > TimeSpan.Zero, "a 503 carries Retry-After");
            using (var problem = JsonDocument.Parse(await refused.Content.ReadAsStringAsync()))
                Assert.Equal("https://conveyor.dev/problems/unavailable", problem.RootElement.GetProperty("type").GetString());

            // Several seconds of retries (heartbeats every second, leases, maintenance) after the line
            // came (it comes through the logger's queue and a pipe, maybe after the 503s): still one line.
            await up.WaitForOutput("the store is unreachable", TimeSpan.FromSeconds(30));
            await Task.Delay(TimeSpan.FromSeconds(4));
            Assert.Equal(1, Count(up.Output, "the store is unreachable"));
            Assert.Contains("keeps trying", up.Output, StringComparison.Ordinal);
            Assert.DoesNotContain("   at ", up.Output, StringComparison.Ordinal);
            Assert.DoesNotContain("IOCP", up.Output, StringComparison.Ordinal);

            redis.Start();
            await up.WaitForOutput("the store is reachable", TimeSpan.FromSeconds(60));
            var until = DateTime.UtcNow + TimeSpan.FromSeconds(30);
            while ((await http.GetAsync("readyz")).StatusCode != HttpStatusCode.OK && DateTime.UtcNow < until)
                await Task.Delay(200);
            Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("readyz")).StatusCode);

            var submitted = await http.PostAsJsonAsync("api/v1/tasks", new { type = "noop" });
            Assert.Equal(HttpStatusCode.Created, submitted.StatusCode);
            string id;
            using (var task = JsonDocument.Parse(await submitted.Content.ReadAsStringAsync()))
                id = task.RootElement.GetProperty("id").GetString()!;
            using var done = JsonDocument.Parse(await http.GetStringAsync($"api/v1/tasks/{id}/wait?timeout=30"));
            Assert.Equal("succeeded", done.RootElement.GetProperty("state").GetString());
            Assert.Equal(1, Count(up.Output, "the store is unreachable"));
            Assert.Equal(1, Count(up.Output, "the store is reachable"));
        }
    }
}
