using Conveyor.Engine;
using Conveyor.Model;
using Microsoft.Extensions.Time.Testing;

namespace Conveyor.Tests.Engine;

/// <summary>
/// The coalescer's own rules, with its send seam held open by the test (so "in flight" is a state the
/// test controls, not a race it hopes for). What real stores answer for a gathered batch is in the
/// conformance suite (<c>TaskStoreConformanceTests.Coalescing.cs</c>).
/// </summary>
public sealed class EnqueueCoalescerTests
{
    private static readonly FakeTimeProvider Time = new(new DateTimeOffset(2030, 1, 2, 3, 4, 5, TimeSpan.Zero));

    /// <summary>Every call the coalescer makes, held until the test answers it.</summary>
    private sealed class HeldStore
    {
        public readonly List<(IReadOnlyList<TaskRecord> Batch, TaskCompletionSource<IReadOnlyList<EnqueueResult>> Answer)> Calls = [];

        public ValueTask<IReadOnlyList<EnqueueResult>> Send(IReadOnlyList<TaskRecord> batch, CancellationToken ct)
        {
            var answer = new TaskCompletionSource<IReadOnlyList<EnqueueResult>>(TaskCreationOptions.RunContinuationsAsynchronously);
            lock (Calls) Calls.Add((batch, answer));
            return new(answer.Task);
        }

        public int Count { get { lock (Calls) return Calls.Count; } }

        /// <summary>Answers call <paramref name="i"/>: item k created when k is even (so a mix-up between callers shows).</summary>
        public void Answer(int i)
        {
            var (batch, answer) = Calls[i];
            answer.SetResult([.. batch.Select((r, k) => new EnqueueResult(r, k % 2 == 0))]);
        }

        public async Task WaitForCalls(int n)
        {
            for (var i = 0; i < 1500 && Count < n; i++) await Task.Delay(10);
            Assert.Equal(n, Count);
        }
    }

    private static TaskRecord NewRecord(string type = "t") =>
        TaskValidator.Build(new TaskSubmission { Type = type }, TaskIds.New(Time), Time.GetUtcNow(), TaskLimits.Default);

    [Fact]
    public async Task A_lone_caller_is_sent_at_once_on_its_own()
    {
        var store = new HeldStore();
        var coalescer = new EnqueueCoalescer(store.Send, maxInFlight: 1);
        var record = NewRecord();
        var pending = coalescer.Enqueue(record, CancellationToken.None);
        Assert.Equal(1, store.Count); // sent before the caller awaits anything
        Assert.Equal([record.Id], store.Calls[0].Batch.Select(r => r.Id));
        store.Answer(0);
        var result = Assert.Single(await pending);
        Assert.Same(record, result.Task);
        Assert.Equal(1, coalescer.Calls);

        // Nothing in flight any more: the next lone caller goes at once too.
        var again = coalescer.Enqueue(NewRecord(), CancellationToken.None);
        Assert.Equal(2, store.Count);
        store.Answer(1);
        await again;
    }

    [Fact]
    public async Task Callers_arriving_during_a_call_are_gathered_into_the_next_and_each_gets_its_own_outcome()
    {
        var store = new HeldStore();
        var coalescer = new EnqueueCoalescer(store.Send, maxInFlight: 1);
        var first = coalescer.Enqueue(NewRecord(), CancellationToken.None);
        var records = Enumerable.Range(0, 5).Select(_ => NewRecord()).ToList();
        var gathered = records.Select(r => coalescer.Enqueue(r, CancellationToken.None).AsTask()).ToList();
        Assert.Equal(1, store.Count); // gathered, not sent while the first call is in flight
        Assert.All(gathered, g => Assert.False(g.IsCompleted));

        store.Answer(0);
        await first;
        await store.WaitForCalls(2);
        Assert.Equal(records.Select(r => r.Id), store.Calls[1].Batch.Select(r => r.Id)); // one call, arrival order
        store.Answer(1);
        for (var k = 0; k < records.Count; k++)
        {
            var result = Assert.Single(await gathered[k]);
            Assert.Same(records[k], result.Task);
            Assert.Equal(k % 2 == 0, result.Created);
        }
        Assert.Equal(2, coalescer.Calls);
    }

    [Fact]
    public async Task With_two_in_flight_the_second_caller_goes_alone_too_and_the_rest_go_when_either_returns()
    {
        var store = new HeldStore();
        var coalescer = new EnqueueCoalescer(store.Send, maxInFlight: 2);
        var first = coalescer.Enqueue(NewRecord("first"), CancellationToken.None);
        var second = coalescer.Enqueue(NewRecord("second"), CancellationToken.None);
        Assert.Equal(2, store.Count); // both sent at once, each alone
        var gathered = Enumerable.Range(0, 4).Select(_ => coalescer.Enqueue(NewRecord("gathered"), CancellationToken.None).AsTask()).ToList();
        Assert.Equal(2, store.Count);

        store.Answer(1); // the second returns first: the gathered four go in its place
        await second;
        await store.WaitForCalls(3);
        Assert.Equal(4, store.Calls[2].Batch.Count);
        var late = coalescer.Enqueue(NewRecord("late"), CancellationToken.None).AsTask(); // two in flight again: gathered
        Assert.Equal(3, store.Count);
        store.Answer(0);
        await first;
        await store.WaitForCalls(4);
        Assert.Equal("late", Assert.Single(store.Calls[3].Batch).Type);
        store.Answer(2);
        store.Answer(3);
        foreach (var g in gathered) Assert.Equal("gathered", Assert.Single(await g).Task.Type);
        Assert.Equal("late", Assert.Single(await late).Task.Type);
        Assert.Equal(4, coalescer.Calls);
    }

    [Fact]
    public async Task The_next_gathered_batch_is_sent_before_the_callers_of_the_one_that_returned_go_on()
    {
        var store = new HeldStore();
        var coalescer = new EnqueueCoalescer(store.Send, maxInFlight: 1);
        var first = coalescer.Enqueue(NewRecord("first"), CancellationToken.None);
        var a = coalescer.Enqueue(NewRecord("a"), CancellationToken.None).AsTask();
        // What the store had been sent by the time caller a went on.
        var callsWhenAWentOn = a.ContinueWith(_ => store.Count, TaskContinuationOptions.ExecuteSynchronously);
        store.Answer(0);
        await first;
        await store.WaitForCalls(2); // a's batch
        var b = coalescer.Enqueue(NewRecord("b"), CancellationToken.None).AsTask(); // gathered while a's batch is in flight
        Assert.Equal(2, store.Count);

        store.Answer(1);
        Assert.Equal(3, await callsWhenAWentOn); // b's batch was already on its way
        Assert.Equal(["b"], store.Calls[2].Batch.Select(r => r.Type));
        store.Answer(2);
        Assert.Equal("b", Assert.Single(await b).Task.Type);
        Assert.Equal(3, coalescer.Calls);
    }

    [Fact]
    public async Task The_callers_of_a_returned_batch_go_on_one_after_the_other_on_the_answering_thread()
    {
        var store = new HeldStore();
        var coalescer = new EnqueueCoalescer(store.Send, maxInFlight: 1);
        var first = coalescer.Enqueue(NewRecord(), CancellationToken.None);
        var gathered = Enumerable.Range(0, 4).Select(_ => coalescer.Enqueue(NewRecord(), CancellationToken.None).AsTask()).ToList();
        // What each caller saw when it went on: its own thread, and whether the caller after it had gone on yet.
        var seen = gathered.Select((g, k) => g.ContinueWith(_ => (Thread: Environment.CurrentManagedThreadId, NextDone: k + 1 < gathered.Count && gathered[k + 1].IsCompleted),
            TaskContinuationOptions.ExecuteSynchronously)).ToList();
        store.Answer(0);
        await first;
        await store.WaitForCalls(2);
        store.Answer(1);
        var went = await Task.WhenAll(seen);
        Assert.Single(went.Select(w => w.Thread).Distinct()); // one thread, no hop per caller
        Assert.All(went, w => Assert.False(w.NextDone)); // in order: each went on before the next was resumed
    }

    [Fact]
    public async Task When_fewer_are_gathered_than_a_returned_batch_holds_its_callers_go_on_first_and_their_next_submits_join_the_next_call()
    {
        var store = new HeldStore();
        var coalescer = new EnqueueCoalescer(store.Send, maxInFlight: 1);
        var first = coalescer.Enqueue(NewRecord(), CancellationToken.None);
        var loop = Enumerable.Range(0, 3).Select(_ => coalescer.Enqueue(NewRecord("loop"), CancellationToken.None).AsTask()).ToList();
        await store.WaitForCalls(1);
        store.Answer(0);
        await first;
        await store.WaitForCalls(2); // the three, in one call
        var waiting = coalescer.Enqueue(NewRecord("waiting"), CancellationToken.None).AsTask(); // one gathered: fewer than three
        // Each of the three submits again the moment it goes on, as a caller in a loop does.
        var again = loop.Select(t => t.ContinueWith(_ => coalescer.Enqueue(NewRecord("again"), CancellationToken.None).AsTask(),
            TaskContinuationOptions.ExecuteSynchronously).Unwrap()).ToList();
        store.Answer(1);
        await store.WaitForCalls(3);
        Assert.Equal(["waiting", "again", "again", "again"], store.Calls[2].Batch.Select(r => r.Type)); // one call, not one for "waiting" alone
        store.Answer(2);
        Assert.Equal("waiting", Assert.Single(await waiting).Task.Type);
        foreach (var a in again) Assert.Equal("again", Assert.Single(await a).Task.Type);
        Assert.Equal(3, coalescer.Calls);
    }

    [Fact]
    public async Task A_batch_past_the_inline_limit_goes_on_in_runs_and_every_caller_gets_its_own_outcome()
    {
        var store = new HeldStore();
        var coalescer = new EnqueueCoalescer(store.Send, maxInFlight: 1);
        var first = coalescer.Enqueue(NewRecord(), CancellationToken.None);
        var records = Enumerable.Range(0, 2 * EnqueueCoalescer.ResumedInline + 3).Select(_ => NewRecord()).ToList();
        var gathered = records.Select(r => coalescer.Enqueue(r, CancellationToken.None).AsTask()).ToList();
        var threads = gathered.Select(g => g.ContinueWith(_ => Environment.CurrentManagedThreadId, TaskContinuationOptions.ExecuteSynchronously)).ToList();
        store.Answer(0);
        await first;
        await store.WaitForCalls(2);
        store.Answer(1);
        for (var k = 0; k < records.Count; k++) Assert.Same(records[k], Assert.Single(await gathered[k]).Task);
        var firstRun = await Task.WhenAll(threads.Take(EnqueueCoalescer.ResumedInline));
        Assert.Single(firstRun.Distinct()); // the first run on the answering thread, one after the other
    }

    [Fact]
    public async Task A_batch_the_store_answers_at_once_still_gives_each_caller_its_own_outcome()
    {
        var store = new HeldStore();
        var atOnce = false;
        var coalescer = new EnqueueCoalescer((batch, ct) => Volatile.Read(ref atOnce)
            ? new ValueTask<IReadOnlyList<EnqueueResult>>([.. batch.Select(r => new EnqueueResult(r, true))])
            : store.Send(batch, ct), maxInFlight: 1);
        var first = coalescer.Enqueue(NewRecord(), CancellationToken.None);
        var records = Enumerable.Range(0, 3).Select(_ => NewRecord()).ToList();
        var gathered = records.Select(r => coalescer.Enqueue(r, CancellationToken.None).AsTask()).ToList();
        Volatile.Write(ref atOnce, true);
        store.Answer(0);
        await first;
        for (var k = 0; k < records.Count; k++) Assert.Same(records[k], Assert.Single(await gathered[k]).Task);
        Assert.Equal(2, coalescer.Calls);
    }

    [Fact]
    public async Task A_caller_cancelled_while_gathered_is_never_sent()
    {
        var store = new HeldStore();
        var coalescer = new EnqueueCoalescer(store.Send, maxInFlight: 1);
        var first = coalescer.Enqueue(NewRecord(), CancellationToken.None);
        using var cts = new CancellationTokenSource();
        var kept = NewRecord("kept");
        var cancelled = coalescer.Enqueue(NewRecord("cancelled"), cts.Token).AsTask();
        var keptCall = coalescer.Enqueue(kept, CancellationToken.None).AsTask();
        await cts.CancelAsync();
        var error = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled);
        Assert.Equal(cts.Token, error.CancellationToken);

        store.Answer(0);
        await first;
        await store.WaitForCalls(2);
        Assert.Equal([kept.Id], store.Calls[1].Batch.Select(r => r.Id));
        store.Answer(1);
        Assert.Same(kept, Assert.Single(await keptCall).Task);
    }

    [Fact]
    public async Task A_failed_call_fails_only_its_own_callers_and_the_next_caller_goes_at_once()
    {
        var store = new HeldStore();
        var coalescer = new EnqueueCoalescer(store.Send, maxInFlight: 1);
        var first = coalescer.Enqueue(NewRecord(), CancellationToken.None);
        var gathered = Enumerable.Range(0, 3).Select(_ => coalescer.Enqueue(NewRecord(), CancellationToken.None).AsTask()).ToList();
        store.Answer(0);
        await first;
        await store.WaitForCalls(2);
        var late = coalescer.Enqueue(NewRecord("late"), CancellationToken.None).AsTask(); // arrives during the second call
        store.Calls[1].Answer.SetException(new InvalidOperationException("store down"));
        foreach (var g in gathered)
            Assert.Equal("store down", (await Assert.ThrowsAsync<InvalidOperationException>(() => g)).Message);

        await store.WaitForCalls(3);
        Assert.Equal("late", Assert.Single(store.Calls[2].Batch).Type);
        store.Answer(2);
        Assert.True(Assert.Single(await late).Created);

        // Nothing stuck in flight after a failure (sent at once, or, when this test went on inside
        // the last call's resumption, right after it).
        var lone = coalescer.Enqueue(NewRecord(), CancellationToken.None);
        await store.WaitForCalls(4);
        store.Answer(3);
        await lone;
    }

    [Fact]
    public async Task A_gathered_crowd_larger_than_a_batch_goes_in_several_calls_in_order()
    {
        var store = new HeldStore();
        var coalescer = new EnqueueCoalescer(store.Send, maxBatch: 2, maxInFlight: 1);
        var first = coalescer.Enqueue(NewRecord(), CancellationToken.None);
        var records = Enumerable.Range(0, 5).Select(_ => NewRecord()).ToList();
        var gathered = records.Select(r => coalescer.Enqueue(r, CancellationToken.None).AsTask()).ToList();
        store.Answer(0);
        await first;
        for (var call = 1; call <= 3; call++)
        {
            await store.WaitForCalls(call + 1);
            store.Answer(call);
        }
        Assert.Equal([2, 2, 1], store.Calls.Skip(1).Select(c => c.Batch.Count));
        Assert.Equal(records.Select(r => r.Id), store.Calls.Skip(1).SelectMany(c => c.Batch).Select(r => r.Id));
        for (var k = 0; k < records.Count; k++) Assert.Same(records[k], Assert.Single(await gathered[k]).Task);
    }
}
