using Conveyor.Model;
using Conveyor.Store;

namespace Conveyor.Stores.Tests;

// TaskList by every filter shape: each store serves every combination of state, queue and type from
// its own indexes (SQLite one statement per shape), browsing and searching alike.
public abstract partial class TaskRecordsConformanceTests
{
    [Fact]
    public async Task TaskList_pages_every_filter_shape_newest_first()
    {
        var time = NewClock();
        await using var store = await CreateStore(time);
        var expected = new List<(string Id, TaskState State, string Queue, string Type)>();
        foreach (var queue in new[] { "q1", "q2" })
        {
            var tasks = new List<TaskRecord>();
            for (var i = 0; i < 12; i++)
            {
                tasks.Add(await Enqueue(store, NewTask(time, type: i % 3 == 0 ? "kind.a" : "kind.b", queue: queue, delay: i >= 10 ? TimeSpan.FromHours(1) : null)));
                time.Advance(TimeSpan.FromMilliseconds(2));
            }
            // FIFO: the lease takes the first six; 0-1 succeed, 2-3 die, 4-5 stay running; 6-7 are
            // cancelled, 8-9 stay pending, 10-11 are scheduled.
            var leased = (await LeaseNow(store, 6, queue)).OrderBy(l => l.Task.Id, StringComparer.Ordinal).ToList();
            Assert.Equal(tasks.Take(6).Select(t => t.Id), leased.Select(l => l.Task.Id));
            await store.TaskCompleteMany([.. leased.Take(2).Select(l => new TaskCompleteParams(l.Task.Id, l.LeaseToken, null))]);
            await store.TaskFailMany([.. leased.Skip(2).Take(2).Select(l => Failure(l, retry: false))]);
            foreach (var t in tasks.Skip(6).Take(2)) Assert.Equal(CancelOutcome.Cancelled, (await store.TaskCancel(t.Id)).Outcome);
            TaskState[] states = [.. Enumerable.Repeat(TaskState.Succeeded, 2), .. Enumerable.Repeat(TaskState.Failed, 2), .. Enumerable.Repeat(TaskState.Running, 2),
                .. Enumerable.Repeat(TaskState.Cancelled, 2), .. Enumerable.Repeat(TaskState.Pending, 2), .. Enumerable.Repeat(TaskState.Scheduled, 2)];
            expected.AddRange(tasks.Select((t, i) => (t.Id, states[i], queue, t.Type)));
        }

        TaskState?[] anyState = [null, .. Enum.GetValues<TaskState>()];
        foreach (var state in anyState)
        foreach (var queue in new[] { null, "q1", "q2", "q3" })
        foreach (var type in new[] { null, "kind.a", "kind.b" })
        {
            var want = expected.Where(e => (state is null || e.State == state) && (queue is null || e.Queue == queue) && (type is null || e.Type == type))
                .Select(e => e.Id).OrderDescending(StringComparer.Ordinal).ToList();
            // Browsing, and a search that every task matches (its tag): the same tasks in the same order.
            foreach (var search in new[] { false, true })
            {
                var seen = new List<string>();
                string? cursor = null;
                for (var pages = 0; pages < 50; pages++)
                {
                    var query = new TaskListParams(state, queue, type, Limit: 3, Cursor: cursor) { TagKey = search ? "tag" : null, TagValue = search ? "conformance" : null };
                    var page = await store.TaskList(query);
                    Assert.True(page.Items.Count <= 3);
                    seen.AddRange(page.Items.Select(t => t.Id));
                    cursor = page.NextCursor;
                    if (cursor is null) break;
                }
                var shape = $"state={state} queue={queue} type={type} search={search}";
                Assert.True(cursor is null, $"{shape}: paging did not end");
                Assert.True(want.SequenceEqual(seen), $"{shape}: expected {string.Join(",", want)}, got {string.Join(",", seen)}");
            }
        }
    }
}
