using System.Collections.Concurrent;
using System.Text.Json;
using Conveyor.Engine;
using Conveyor.Limits;
using Conveyor.Model;
using Conveyor.Sqlite;
using Conveyor.Store;
using Microsoft.Extensions.Time.Testing;

namespace Conveyor.Stores.Tests.Sqlite;

/// <summary>
/// limits (issue 14, migration 23): three stores on one file stand for three processes, each with its
/// own writer. Leasers in all three never run more than the limit per tenant, whichever store a task
/// is completed or failed through (a batch of completions gives its slots back in its own writer's
/// transaction), and every count is back to zero at the end. Takes about 2 s.
/// </summary>
public sealed class SqliteLimitsSharedFileTests : IDisposable
{
    private readonly DirectoryInfo dir = Directory.CreateTempSubdirectory("conveyor-sqlite-limits-");
    private readonly FakeTimeProvider time = new(new DateTimeOffset(2030, 1, 2, 3, 4, 5, TimeSpan.Zero));

    public void Dispose() => dir.Delete(recursive: true);

    [Fact]
    public async Task Leasers_in_three_stores_on_one_file_never_exceed_a_concurrency_limit_and_give_every_slot_back()
    {
        var path = Path.Combine(dir.FullName, "shared.db");
        var stores = Enumerable.Range(0, 3).Select(_ => new SqliteTaskStore(new SqliteStoreOptions { Path = path }, time)).ToArray();
        try
        {
            await stores[0].QueueLimitSet("lim", new QueueLimit("per-tenant", "metadata.tenant", Concurrency: 2));
            var tenants = new[] { "a", "b", "c" };
            var tasks = tenants.SelectMany(t => Enumerable.Range(0, 30).Select(_ => TaskValidator.Build(new TaskSubmission
            {
                Type = "test.noop", Queue = "lim", Args = JsonDocument.Parse("{}").RootElement.Clone(),
                Metadata = new Dictionary<string, string> { ["tenant"] = t },
            }, TaskIds.New(time), time.GetUtcNow(), TaskLimits.Default))).ToList();
            Assert.All(await stores[1].TaskEnqueueMany(tasks), r => Assert.True(r.Created));

            var running = new ConcurrentDictionary<string, int>();
            var worst = new ConcurrentDictionary<string, int>();
            var done = 0;
            using var guard = new CancellationTokenSource(TimeSpan.FromSeconds(120));
            await Task.WhenAll(Enumerable.Range(0, 9).Select(w => Task.Run(async () =>
            {
                var mine = stores[w % 3];
                var other = stores[(w + 1) % 3];
                var round = 0;
                while (Volatile.Read(ref done) < tasks.Count && !guard.IsCancellationRequested)
                {
                    // No blocking wait: the fake clock does not move, so a lease that found nothing tries again.
                    var leased = await mine.TaskLease(new TaskLeaseParams("w" + w, ["lim"], 4, TimeSpan.FromMinutes(5), TimeSpan.Zero), guard.Token);
                    if (leased.Count == 0) { await Task.Delay(1, guard.Token); continue; }
                    foreach (var l in leased)
                    {
                        var now = running.AddOrUpdate(l.Task.Metadata["tenant"], 1, (_, n) => n + 1);
                        worst.AddOrUpdate(l.Task.Metadata["tenant"], now, (_, n) => Math.Max(n, now));
                    }
                    await Task.Yield();
                    foreach (var l in leased) running.AddOrUpdate(l.Task.Metadata["tenant"], 0, (_, n) => n - 1);
                    // Every third round one task fails (retried: the trigger path gives its slot back), and
                    // the rest complete in one batch, through the other store half of the time.
                    var rest = leased;
                    if (++round % 3 == 0)
                    {
                        Assert.Equal(AckOutcome.Ok, Assert.Single(await mine.TaskFailMany([new(leased[0].Task.Id, leased[0].LeaseToken,
                            new TaskError("test", "again"), Retry: true, RetryDelay: TimeSpan.Zero)])).Outcome);
                        rest = leased.Skip(1).ToList();
                    }
                    var results = await (round % 2 == 0 ? other : mine).TaskCompleteMany([.. rest.Select(l => new TaskCompleteParams(l.Task.Id, l.LeaseToken, null))]);
                    Assert.All(results, r => Assert.Equal(AckOutcome.Ok, r.Outcome));
                    Interlocked.Add(ref done, rest.Count);
                }
            })));
            Assert.Equal(tasks.Count, done);
            Assert.All(tenants, t => Assert.InRange(worst[t], 1, 2));
            foreach (var store in stores)
                Assert.All(Assert.Single(await store.QueueLimitList("lim")).Usage, u => Assert.Equal((0L, 0L), (u.Running, u.Waiting)));
        }
        finally
        {
            foreach (var s in stores) await s.DisposeAsync();
        }
    }
}
