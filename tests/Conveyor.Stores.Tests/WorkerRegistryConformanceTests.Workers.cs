using Conveyor.Engine;
using Conveyor.Model;
using Conveyor.Store;

namespace Conveyor.Stores.Tests;

// The worker registry's announcements, silent workers, commands and the heartbeat's answer.
public abstract partial class WorkerRegistryConformanceTests
{
    private static WorkerInfo Announced(string id, params RunningTask[] running) => new()
    {
        Id = id, Host = "host-1", Pid = 4242, Queues = ["default", "mail"], Concurrency = 4, StartedAt = Start,
        Types = ["email.send", "fib"], Running = running, RunningTaskIds = [.. running.Select(r => r.TaskId)],
    };

    private static RunningTask RunningOf(LeasedTask l) => new(l.Task.Id, l.Task.Type, l.Task.StartedAt ?? Start, l.Task.Queue);

    [Fact]
    public async Task WorkerHeartbeat_keeps_types_running_tasks_and_status()
    {
        var time = NewClock();
        await using var store = await CreateStore(time);
        await Enqueue(store, NewTask(time, type: "email.send", queue: "mail"));
        var l = await LeaseOne(store, "mail");
        time.Advance(TimeSpan.FromSeconds(3));
        await store.WorkerHeartbeat(Announced("w1", RunningOf(l)) with { Status = WorkerStatus.Quiet });

        var w = Assert.Single((await store.WorkerList(TimeSpan.FromSeconds(15))).Live);
        Assert.Equal(["email.send", "fib"], w.Types);
        Assert.Equal(WorkerStatus.Quiet, w.Status);
        var r = Assert.Single(w.Running);
        Assert.Equal((l.Task.Id, "email.send", "mail"), (r.TaskId, r.Type, r.Queue));
        AssertTime(Start, r.StartedAt);
        AssertTime(time.GetUtcNow(), w.LastHeartbeat);
    }

    [Fact]
    public async Task WorkerList_lists_silent_workers_for_an_hour_then_forgets_them()
    {
        var time = NewClock();
        await using var store = await CreateStore(time);
        await store.WorkerHeartbeat(Announced("w-old"));
        time.Advance(TimeSpan.FromSeconds(30));
        await store.WorkerHeartbeat(Announced("w-new"));

        var list = await store.WorkerList(TimeSpan.FromSeconds(15));
        Assert.Equal(["w-new"], list.Live.Select(w => w.Id));
        var silent = Assert.Single(list.Silent);
        Assert.Equal("w-old", silent.Id);
        AssertTime(Start, silent.LastHeartbeat);
        Assert.Equal(["email.send", "fib"], silent.Types);

        time.Advance(WorkerRegistry.KeepSilent - TimeSpan.FromSeconds(31)); // w-old: 1 s short of the hour
        Assert.Equal(["w-new", "w-old"], (await store.WorkerList(TimeSpan.FromSeconds(15))).Silent.Select(w => w.Id));
        time.Advance(TimeSpan.FromSeconds(2)); // w-old: past the hour
        list = await store.WorkerList(TimeSpan.FromSeconds(15));
        Assert.Empty(list.Live);
        Assert.Equal(["w-new"], list.Silent.Select(w => w.Id));
        Assert.Equal(WorkerCommandOutcome.NotFound, await store.WorkerCommand(new("w-old", WorkerCommandKind.Stop)));

        // Any heartbeat forgets it for good: coming back later, it starts afresh with no command.
        await store.WorkerHeartbeat(Announced("w-new"));
        await store.WorkerHeartbeat(Announced("w-old"));
        Assert.Equal(WorkerCommandKind.None, (await store.WorkerHeartbeat(Announced("w-old"))).Command);
    }

    [Fact]
    public async Task WorkerCommand_is_answered_by_every_later_heartbeat_and_stop_outranks_quiet()
    {
        var time = NewClock();
        await using var store = await CreateStore(time);
        Assert.Equal(WorkerCommandOutcome.NotFound, await store.WorkerCommand(new("nobody", WorkerCommandKind.Quiet)));
        var first = await store.WorkerHeartbeat(Announced("w1"));
        Assert.Equal(WorkerCommandKind.None, first.Command);
        Assert.Empty(first.Cancel);
        await store.WorkerHeartbeat(Announced("w2"));

        Assert.Equal(WorkerCommandOutcome.Ok, await store.WorkerCommand(new("w1", WorkerCommandKind.Quiet)));
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(WorkerCommandKind.Quiet, (await store.WorkerHeartbeat(Announced("w1"))).Command);
        Assert.Equal(WorkerCommandKind.Quiet, (await store.WorkerHeartbeat(Announced("w1"))).Command); // it stays set
        Assert.Equal(WorkerCommandKind.None, (await store.WorkerHeartbeat(Announced("w2"))).Command); // only for w1

        Assert.Equal(WorkerCommandOutcome.Ok, await store.WorkerCommand(new("w1", WorkerCommandKind.Stop)));
        Assert.Equal(WorkerCommandOutcome.Ok, await store.WorkerCommand(new("w1", WorkerCommandKind.Quiet)));
        Assert.Equal(WorkerCommandKind.Stop, (await store.WorkerHeartbeat(Announced("w1"))).Command);

        // A silent worker (within the hour) can still be told; a removed one cannot.
        time.Advance(TimeSpan.FromMinutes(10));
        Assert.Equal(WorkerCommandOutcome.Ok, await store.WorkerCommand(new("w2", WorkerCommandKind.Stop)));
        await store.WorkerRemove("w1");
        Assert.Equal(WorkerCommandOutcome.NotFound, await store.WorkerCommand(new("w1", WorkerCommandKind.Quiet)));
        Assert.Equal(WorkerCommandKind.None, (await store.WorkerHeartbeat(Announced("w1"))).Command); // registers afresh
    }

    [Fact]
    public async Task WorkerHeartbeat_answers_the_running_tasks_cancelled_while_running()
    {
        var time = NewClock();
        await using var store = await CreateStore(time);
        await Enqueue(store, NewTask(time, queue: "default"));
        await Enqueue(store, NewTask(time, queue: "default"));
        await Enqueue(store, NewTask(time, queue: "mail")); // another queue: another slot in a Cluster
        await Enqueue(store, NewTask(time, queue: "mail"));
        var d = await LeaseNow(store, 2, "default");
        var m = await LeaseNow(store, 2, "mail");
        Assert.Equal((2, 2), (d.Count, m.Count));
        var running = d.Concat(m).Select(RunningOf).ToArray();

        Assert.Empty((await store.WorkerHeartbeat(Announced("w1", running))).Cancel);

        Assert.Equal(CancelOutcome.CancelledWhileRunning, (await store.TaskCancel(d[1].Task.Id)).Outcome);
        Assert.Equal(CancelOutcome.CancelledWhileRunning, (await store.TaskCancel(m[0].Task.Id)).Outcome);
        await store.TaskCompleteMany([new(m[1].Task.Id, m[1].LeaseToken, null)]); // finished: not a cancel
        var answer = await store.WorkerHeartbeat(Announced("w1", running));
        Assert.Equal(new[] { d[1].Task.Id, m[0].Task.Id }.Order(StringComparer.Ordinal), answer.Cancel.Order(StringComparer.Ordinal));
        Assert.Equal(TaskState.Cancelled, (await Get(store, d[1].Task.Id)).State);

        // Only the ids the worker announces are looked at; an unknown id is no answer.
        var other = await store.WorkerHeartbeat(Announced("w2", RunningOf(d[0]), new RunningTask(TaskIds.New(time), "test.noop", Start, "default")));
        Assert.Empty(other.Cancel);
    }

    [Fact]
    public async Task WorkerRegistry_heartbeat_list_and_remove()
    {
        var time = NewClock();
        await using var store = await CreateStore(time);
        WorkerInfo Worker(string id) => new()
        {
            Id = id, Host = "host-1", Pid = 4242, Queues = ["default", "mail"], Concurrency = 10,
            RunningTaskIds = ["t-1"], Processed = 7, Failed = 1, StartedAt = Start, Status = "running",
        };
        await store.WorkerHeartbeat(Worker("w1"));
        await store.WorkerHeartbeat(Worker("w2"));
        time.Advance(TimeSpan.FromSeconds(20));
        await store.WorkerHeartbeat(Worker("w2") with { Processed = 9, Status = "draining" });
        var live = (await store.WorkerList(TimeSpan.FromSeconds(15))).Live;
        var w2 = Assert.Single(live);
        Assert.Equal(("w2", "host-1", 4242, 10, 9L, 1L, "draining"), (w2.Id, w2.Host, w2.Pid, w2.Concurrency, w2.Processed, w2.Failed, w2.Status));
        Assert.Equal(["default", "mail"], w2.Queues);
        Assert.Equal(["t-1"], w2.RunningTaskIds);
        AssertTime(time.GetUtcNow(), w2.LastHeartbeat);
        AssertTime(Start, w2.StartedAt);
        Assert.Equal(2, (await store.WorkerList(TimeSpan.FromMinutes(1))).Live.Count);
        await store.WorkerRemove("w2");
        Assert.Equal(["w1"], (await store.WorkerList(TimeSpan.FromMinutes(1))).Live.Select(w => w.Id));
    }
}
