using System.Net;
using System.Net.Http.Json;
using Conveyor.Client.Protocol;
using Conveyor.Server.Tests.Support;
using Conveyor.Sqlite;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;

namespace Conveyor.Server.Tests.Api;

/// <summary>
/// A store that does not answer reaches the client as a problem, not a 500: a real SQLite file whose
/// write lock another connection (another process, for the store) holds past the busy timeout makes
/// the store raise <c>StoreUnreachableException</c> with the outcome known, and the server answers 503
/// <c>unavailable</c> with <c>Retry-After</c>, nothing stored; once the lock goes, the same submit is taken.
/// </summary>
public sealed class StoreUnreachableProblemTests : IDisposable
{
    private readonly DirectoryInfo dir = Directory.CreateTempSubdirectory("conveyor-server-locked-");

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        dir.Delete(recursive: true);
    }

    [Fact]
    public async Task A_store_locked_elsewhere_past_its_busy_timeout_answers_503_unavailable_with_retry_after_and_stores_nothing()
    {
        var path = Path.Combine(dir.FullName, "locked.db");
        var builder = ConveyorServer.CreateBuilder(new ServerOptions { Host = "127.0.0.1", Port = 0 },
            _ => new SqliteTaskStore(new SqliteStoreOptions { Path = path, BusyTimeout = TimeSpan.FromMilliseconds(200) }, TimeProvider.System));
        builder.Logging.ClearProviders();
        await using var app = builder.Build();
        app.MapConveyor();
        await app.StartAsync();
        using var http = new HttpClient { BaseAddress = new Uri(app.Addresses().Single()) };

        using (var other = new SqliteConnection($"Data Source={path};Pooling=False"))
        {
            other.Open();
            using (var begin = other.CreateCommand()) { begin.CommandText = "BEGIN IMMEDIATE;"; begin.ExecuteNonQuery(); }
            using var refused = await http.PostAsJsonAsync(Routes.Tasks, new { type = "noop" });
            var problem = await Problems.Assert(refused, HttpStatusCode.ServiceUnavailable, ProblemTypes.Unavailable);
            Assert.Contains("locked by another process", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
            Assert.True(refused.Headers.RetryAfter?.Delta > TimeSpan.Zero, "a 503 carries Retry-After");
            using (var rollback = other.CreateCommand()) { rollback.CommandText = "ROLLBACK;"; rollback.ExecuteNonQuery(); }
        }

        var list = await http.GetFromJsonAsync<System.Text.Json.JsonElement>(Routes.Tasks);
        Assert.Equal(0, list.GetProperty("items").GetArrayLength());
        using var taken = await http.PostAsJsonAsync(Routes.Tasks, new { type = "noop" });
        Assert.Equal(HttpStatusCode.Created, taken.StatusCode);
    }
}
