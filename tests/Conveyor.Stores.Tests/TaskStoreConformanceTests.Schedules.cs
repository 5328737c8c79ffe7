using System.Text.Json;
using Conveyor.Engine;
using Conveyor.Model;
using Conveyor.Schedules;
using Conveyor.Store;
using Microsoft.Extensions.Time.Testing;

namespace Conveyor.Stores.Tests;

// Recurring tasks (issue 14 item 1): ScheduleUpsert/Get/List/Delete/Pause/Due/Claim, through the engine's
// ScheduleTick as the maintenance loop runs it, on fake time: cron ticks (seconds field), each misfire
// policy, DST changes in a time zone, interval schedules, run now, pause, and exactly-once claiming by
// many concurrent tickers.
public abstract partial class TaskStoreConformanceTests
{
    private static ScheduleDefinition Cron(string name, string cron, string queue, MisfirePolicy? misfire = null, TimeSpan? catchUp = null, string? zone = null) => new()
    {
        Name = name,
        Cron = cron,
        TimeZone = zone,
        Misfire = misfire,
        CatchUp = catchUp,
        Task = new ScheduleTask { Type = "report.build", Queue = queue, Priority = 3, Args = JsonDocument.Parse("{\"r\":1}").RootElement.Clone() },
    };

    private static async Task<List<TaskRecord>> TasksOf(ITaskStore store, string queue) =>
        [.. (await store.TaskList(new TaskListParams(Queue: queue, Limit: 1000))).Items.OrderBy(t => t.Metadata.GetValueOrDefault("schedule_tick"), StringComparer.Ordinal)];

    private static IEnumerable<string> Ticks(IEnumerable<TaskRecord> tasks) => tasks.Select(t => t.Metadata["schedule_tick"]);

    [Fact]
    public async Task ScheduleUpsert_stores_what_ScheduleGet_ScheduleList_answer_and_ScheduleDelete_removes()
    {
        var time = NewClock();
        await using var store = await CreateStore(time);
        var engine = new TaskEngine(store, time);
        var (s, created) = await engine.ScheduleUpsert(Cron("b-nightly", "0 3 * * *", "sch-crud", zone: "Europe/Paris"));
        Assert.True(created);
        Assert.Equal("b-nightly", s.Name);
        Assert.Equal("Europe/Paris", s.Definition.TimeZone);
        Assert.Equal(MisfirePolicy.CatchUp, s.Definition.Misfire);
        Assert.Equal(ScheduleDefinition.DefaultCatchUp, s.Definition.CatchUp);
        Assert.Equal("report.build", s.Definition.Task.Type);
        Assert.Equal(3, s.Definition.Task.Priority);
        Assert.False(s.Paused);
        // 03:04:05 UTC is 04:04:05 in Paris (CET): the next 03:00 there is tomorrow 02:00 UTC.
        Assert.Equal(new DateTimeOffset(2030, 1, 3, 2, 0, 0, TimeSpan.Zero), s.NextRunAt);
        Assert.Null(s.LastRunAt);
        await engine.ScheduleUpsert(Cron("a-every", "*/5 * * * * *", "sch-crud"));
        Assert.Equal(["a-every", "b-nightly"], (await store.ScheduleList()).Select(x => x.Name));
        var (again, createdAgain) = await engine.ScheduleUpsert(Cron("b-nightly", "0 4 * * *", "sch-crud", zone: "Europe/Paris"));
        Assert.False(createdAgain);
        Assert.Equal(new DateTimeOffset(2030, 1, 3, 3, 0, 0, TimeSpan.Zero), again.NextRunAt);
        Assert.True(await store.ScheduleDelete("b-nightly"));
        Assert.False(await store.ScheduleDelete("b-nightly"));
        Assert.Null(await store.ScheduleGet("b-nightly"));
        Assert.Equal(["a-every"], (await store.ScheduleList()).Select(x => x.Name));
        Assert.Empty(await TasksOf(store, "sch-crud"));
    }

    [Fact]
    public async Task ScheduleTick_submits_one_task_per_tick_of_a_seconds_cron()
    {
        var time = NewClock();
        await using var store = await CreateStore(time);
        var engine = new TaskEngine(store, time);
        await engine.ScheduleUpsert(Cron("every-2s", "*/2 * * * * *", "sch-tick"));
        Assert.Equal(0, await engine.ScheduleTick()); // 03:04:05: the first tick is 03:04:06
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(1, await engine.ScheduleTick());
        Assert.Equal(0, await engine.ScheduleTick());
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(0, await engine.ScheduleTick()); // 03:04:07: no tick
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(1, await engine.ScheduleTick());
        var tasks = await TasksOf(store, "sch-tick");
        Assert.Equal(["2030-01-02T03:04:06.000Z", "2030-01-02T03:04:08.000Z"], Ticks(tasks));
        Assert.All(tasks, t =>
        {
            Assert.Equal("report.build", t.Type);
            Assert.Equal(3, t.Priority);
            Assert.Equal(TaskState.Pending, t.State);
            Assert.Equal("every-2s", t.Metadata["schedule"]);
            Assert.StartsWith("schedule:every-2s:", t.IdempotencyKey);
        });
        var s = await store.ScheduleGet("every-2s");
        Assert.Equal(Start + TimeSpan.FromSeconds(3), s!.LastRunAt);
        Assert.Equal(tasks[^1].Id, s.LastTaskId);
        Assert.Equal(Start + TimeSpan.FromSeconds(5), s.NextRunAt);
    }

    [Theory]
    [InlineData(MisfirePolicy.Skip, 0)]
    [InlineData(MisfirePolicy.Once, 1)]
    [InlineData(MisfirePolicy.CatchUp, 2)]
    public async Task ScheduleTick_after_an_outage_follows_the_misfire_policy(MisfirePolicy policy, int expected)
    {
        var time = NewClock();
        await using var store = await CreateStore(time);
        var engine = new TaskEngine(store, time);
        var q = "sch-misfire-" + policy.ToString().ToLowerInvariant();
        await engine.ScheduleUpsert(Cron("hourly", "0 * * * *", q, policy, policy == MisfirePolicy.CatchUp ? TimeSpan.FromHours(2) : null));
        // Every process down from 03:04 to 06:34: the ticks 04:00, 05:00 and 06:00 were missed (06:00 by 34 minutes).
        time.Advance(TimeSpan.FromMinutes(210));
        Assert.Equal(expected, await engine.ScheduleTick());
        var ticks = Ticks(await TasksOf(store, q)).ToList();
        Assert.Equal(expected, ticks.Count);
        if (policy == MisfirePolicy.Once) Assert.Equal(["2030-01-02T06:00:00.000Z"], ticks);
        if (policy == MisfirePolicy.CatchUp) Assert.Equal(["2030-01-02T05:00:00.000Z", "2030-01-02T06:00:00.000Z"], ticks); // 04:00 is beyond the 2 h bound
        Assert.Equal(new DateTimeOffset(2030, 1, 2, 7, 0, 0, TimeSpan.Zero), (await store.ScheduleGet("hourly"))!.NextRunAt);
        Assert.Equal(0, await engine.ScheduleTick());
    }

    [Fact]
    public async Task ScheduleTick_catches_up_every_tick_missed_within_the_bound()
    {
        var time = NewClock();
        await using var store = await CreateStore(time);
        var engine = new TaskEngine(store, time);
        await engine.ScheduleUpsert(Cron("per-second", "* * * * * *", "sch-catchup", MisfirePolicy.CatchUp, TimeSpan.FromMinutes(10)));
        time.Advance(TimeSpan.FromSeconds(150)); // 150 ticks missed: one claim takes at most 100, the next the rest
        Assert.Equal(ScheduleRules.MaxTicksPerClaim, await engine.ScheduleTick());
        Assert.Equal(50, await engine.ScheduleTick());
        var ticks = Ticks(await TasksOf(store, "sch-catchup")).ToList();
        Assert.Equal(150, ticks.Distinct().Count());
        Assert.Equal(Enumerable.Range(1, 150).Select(i => (Start + TimeSpan.FromSeconds(i)).UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ")), ticks);
    }

    [Fact]
    public async Task ScheduleTick_follows_daylight_saving_changes_in_the_time_zone()
    {
        // Paris: 2030-03-31 02:00 CET jumps to 03:00 CEST; 2030-10-27 03:00 CEST falls back to 02:00 CET.
        var time = new FakeTimeProvider(new DateTimeOffset(2030, 3, 29, 12, 0, 0, TimeSpan.Zero));
        await using var store = await CreateStore(time);
        var engine = new TaskEngine(store, time);
        await engine.ScheduleUpsert(Cron("half-past-two", "30 2 * * *", "sch-dst", zone: "Europe/Paris"));
        async Task RunDays(int days)
        {
            for (var h = 0; h < days * 24; h++)
            {
                time.Advance(TimeSpan.FromHours(1));
                await engine.ScheduleTick();
            }
        }
        await RunDays(4);
        // 02:30 does not exist on 31 March: Cronos runs it at the jump (03:00 CEST = 01:00 UTC).
        Assert.Equal(["2030-03-30T01:30:00.000Z", "2030-03-31T01:00:00.000Z", "2030-04-01T00:30:00.000Z", "2030-04-02T00:30:00.000Z"],
            Ticks(await TasksOf(store, "sch-dst")));
        time.AdjustTime(new DateTimeOffset(2030, 10, 25, 12, 0, 0, TimeSpan.Zero));
        await engine.ScheduleUpsert(Cron("half-past-two-autumn", "30 2 * * *", "sch-dst-autumn", zone: "Europe/Paris"));
        await RunDays(4);
        // 02:30 happens twice on 27 October: the schedule runs once (the first, CEST).
        Assert.Equal(["2030-10-26T00:30:00.000Z", "2030-10-27T00:30:00.000Z", "2030-10-28T01:30:00.000Z", "2030-10-29T01:30:00.000Z"],
            Ticks(await TasksOf(store, "sch-dst-autumn")));
    }

    [Fact]
    public async Task ScheduleTick_runs_interval_schedules_on_their_interval()
    {
        var time = NewClock();
        await using var store = await CreateStore(time);
        var engine = new TaskEngine(store, time);
        var (s, _) = await engine.ScheduleUpsert(new ScheduleDefinition
        {
            Name = "every-90s", Interval = TimeSpan.FromSeconds(90), Task = new ScheduleTask { Type = "sync", Queue = "sch-interval" },
        });
        // Interval ticks fall on whole multiples of the interval since the Unix epoch.
        Assert.Equal(0, s.NextRunAt!.Value.ToUnixTimeSeconds() % 90);
        Assert.True(s.NextRunAt > Start && s.NextRunAt <= Start + TimeSpan.FromSeconds(90));
        for (var i = 0; i < 60; i++)
        {
            time.Advance(TimeSpan.FromSeconds(10));
            await engine.ScheduleTick();
        }
        var tasks = await TasksOf(store, "sch-interval");
        var startS = Start.ToUnixTimeSeconds();
        var expected = Enumerable.Range(1, 700).Count(k => (startS / 90 + k) * 90 <= startS + 600); // ticks in (start, start + 600 s]
        Assert.Equal(expected, tasks.Count);
        var at = tasks.Select(t => DateTimeOffset.Parse(t.Metadata["schedule_tick"], System.Globalization.CultureInfo.InvariantCulture)).ToList();
        Assert.All(at.Zip(at.Skip(1)), p => Assert.Equal(TimeSpan.FromSeconds(90), p.Second - p.First));
    }

    [Fact]
    public async Task A_paused_schedule_submits_nothing_and_resumes_at_its_next_tick_without_the_missed_ones()
    {
        var time = NewClock();
        await using var store = await CreateStore(time);
        var engine = new TaskEngine(store, time);
        await engine.ScheduleUpsert(Cron("paused", "* * * * * *", "sch-pause"));
        var paused = await engine.SchedulePause("paused");
        Assert.True(paused!.Paused);
        Assert.Null(paused.NextRunAt);
        time.Advance(TimeSpan.FromSeconds(30));
        Assert.Equal(0, await engine.ScheduleTick());
        Assert.Empty(await store.ScheduleDue(10));
        var resumed = await engine.ScheduleResume("paused");
        Assert.False(resumed!.Paused);
        Assert.Equal(time.GetUtcNow() + TimeSpan.FromSeconds(1), resumed.NextRunAt);
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(1, await engine.ScheduleTick());
        Assert.Single(await TasksOf(store, "sch-pause"));
        // Stored again without "paused" (a broker storing its configured schedules at start): it stays paused.
        await engine.SchedulePause("paused");
        var (again, _) = await engine.ScheduleUpsert(Cron("paused", "* * * * * *", "sch-pause"));
        Assert.True(again.Paused);
        Assert.Null(again.NextRunAt);
        Assert.Null(await engine.SchedulePause("no-such-schedule"));
        Assert.Null(await engine.ScheduleResume("no-such-schedule"));
    }

    [Fact]
    public async Task ScheduleRunNow_submits_at_once_and_leaves_the_next_tick()
    {
        var time = NewClock();
        await using var store = await CreateStore(time);
        var engine = new TaskEngine(store, time);
        var (s, _) = await engine.ScheduleUpsert(Cron("daily", "0 0 * * *", "sch-now"));
        var run = await engine.ScheduleRunNow("daily");
        Assert.NotNull(run);
        Assert.True(run.Created);
        Assert.Equal("daily", run.Task.Metadata["schedule"]);
        await engine.SchedulePause("daily");
        var second = await engine.ScheduleRunNow("daily"); // paused schedules can still be run by hand
        Assert.NotNull(second);
        Assert.Equal(2, (await store.TaskList(new TaskListParams(Queue: "sch-now"))).Items.Count);
        var after = await store.ScheduleGet("daily");
        Assert.Equal(second.Task.Id, after!.LastTaskId);
        Assert.Equal(time.GetUtcNow(), after.LastRunAt!.Value, TimePrecision);
        Assert.Null(await engine.ScheduleRunNow("no-such-schedule"));
        Assert.NotNull(s.NextRunAt);
    }

    [Fact]
    public async Task ScheduleClaim_is_a_compare_and_set_a_stale_claim_changes_nothing()
    {
        var time = NewClock();
        await using var store = await CreateStore(time);
        var engine = new TaskEngine(store, time);
        var (s, _) = await engine.ScheduleUpsert(Cron("cas", "* * * * * *", "sch-cas"));
        time.Advance(TimeSpan.FromSeconds(1));
        var task = TaskValidator.Build(ScheduleRules.Submission(s.Definition.Task, "cas", s.NextRunAt), TaskIds.New(time), time.GetUtcNow(), TaskLimits.Default);
        var stale = await store.ScheduleClaim(new ScheduleClaimParams("cas", s.NextRunAt!.Value - TimeSpan.FromSeconds(1), s.NextRunAt + TimeSpan.FromSeconds(1), [task]));
        Assert.False(stale.Claimed);
        Assert.Empty(stale.Enqueued);
        Assert.Null(await store.TaskGet(task.Id));
        Assert.Equal(s.NextRunAt, (await store.ScheduleGet("cas"))!.NextRunAt);
        var won = await store.ScheduleClaim(new ScheduleClaimParams("cas", s.NextRunAt, s.NextRunAt + TimeSpan.FromSeconds(1), [task]) { LastRunAt = s.NextRunAt });
        Assert.True(won.Claimed);
        Assert.True(Assert.Single(won.Enqueued).Created);
        Assert.NotNull(await store.TaskGet(task.Id));
        var gone = await store.ScheduleClaim(new ScheduleClaimParams("missing", s.NextRunAt, null, []));
        Assert.False(gone.Claimed);
    }

    [Fact]
    public async Task ScheduleTick_by_many_concurrent_tickers_submits_each_tick_exactly_once()
    {
        var time = NewClock();
        await using var store = await CreateStore(time);
        var engines = Enumerable.Range(0, 8).Select(_ => new TaskEngine(store, time)).ToArray();
        await engines[0].ScheduleUpsert(Cron("contended", "* * * * * *", "sch-race"));
        await engines[0].ScheduleUpsert(Cron("contended-2", "*/2 * * * * *", "sch-race"));
        for (var round = 0; round < 20; round++)
        {
            time.Advance(TimeSpan.FromSeconds(1));
            var submitted = await Task.WhenAll(engines.Select(e => e.ScheduleTick().AsTask()));
            Assert.Equal(round % 2 == 0 ? 2 : 1, submitted.Sum()); // 03:04:06 is even: both tick then
        }
        var tasks = await TasksOf(store, "sch-race");
        Assert.Equal(30, tasks.Count);
        Assert.Equal(30, tasks.Select(t => t.IdempotencyKey).Distinct().Count());
    }
}
