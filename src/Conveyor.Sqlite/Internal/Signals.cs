using Conveyor.Model;
using Conveyor.Store;

namespace Conveyor.Sqlite.Internal;

/// <summary>
/// In-process wake-ups, raised by the writer only after a commit: per queue (new ready work, for blocked
/// leasers), per task (terminal, for <c>TaskWait</c>), and the event broadcast. Nothing here polls.
/// </summary>
internal sealed class Signals
{
    private readonly Lock gate = new();
    private readonly Dictionary<string, TaskCompletionSource> queues = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Waiters> tasks = new(StringComparer.Ordinal);
    private Action<TaskEvent>[] subscribers = [];

    /// <summary>
    /// The task that completes at the next wake-up of <paramref name="queue"/>. Take it BEFORE looking for
    /// work, so a wake-up between the look and the wait is never lost (a generation, not a flag).
    /// </summary>
    public Task QueueChanged(string queue)
    {
        lock (gate)
        {
            if (!queues.TryGetValue(queue, out var tcs))
                queues[queue] = tcs = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            return tcs.Task;
        }
    }

    public void WakeQueue(string queue)
    {
        TaskCompletionSource? tcs;
        lock (gate)
        {
            if (queues.Remove(queue, out tcs) is false) return;
        }
        tcs!.TrySetResult();
    }

    /// <summary>
    /// Completes at the next transition of the task to a terminal state. Every call must be paired with
    /// <see cref="ReleaseTask"/> (waiters are counted, so the map only holds tasks someone waits on).
    /// </summary>
    public Task TaskFinished(string taskId)
    {
        // Armed after registering, before the caller reads the task (see TaskWaitArmed).
        Task armed;
        lock (gate)
        {
            if (!tasks.TryGetValue(taskId, out var w))
                tasks[taskId] = w = new Waiters(new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
            w.Count++;
            armed = w.Done.Task;
        }
        TaskWaitArmed?.Invoke();
        return armed;
    }

    /// <summary>
    /// Called after <see cref="TaskFinished"/> registered a waiter, before it reads the task: the
    /// other-process watch looks then for commits it let go while nobody waited. A blocked lease needs
    /// no such call: its look is a write transaction (BEGIN IMMEDIATE), which waits for another
    /// process's commit under way and sees it; a TaskWait's look is a read that does not wait.
    /// </summary>
    public Action? TaskWaitArmed { get; set; }

    public void ReleaseTask(string taskId, Task waited)
    {
        lock (gate)
        {
            if (tasks.TryGetValue(taskId, out var w) && w.Done.Task == waited && --w.Count == 0) tasks.Remove(taskId);
        }
    }

    private sealed class Waiters(TaskCompletionSource done)
    {
        public TaskCompletionSource Done { get; } = done;
        public int Count { get; set; }
    }

    /// <summary>True while a leaser or a <c>TaskWait</c> of this process is blocked (the other-process watch has someone to wake).</summary>
    public bool HasWaiters
    {
        get { lock (gate) return queues.Count > 0 || tasks.Count > 0; }
    }

    /// <summary>
    /// Another process committed (OtherProcessWatch): which queues or tasks it touched is not known here, so
    /// every blocked leaser and waiter looks again. A look that finds nothing waits again, at no cost but one pass.
    /// </summary>
    public void WakeAll()
    {
        List<TaskCompletionSource> wake;
        lock (gate)
        {
            wake = [.. queues.Values, .. tasks.Values.Select(w => w.Done)];
            queues.Clear();
            tasks.Clear();
        }
        foreach (var tcs in wake) tcs.TrySetResult();
    }

    /// <summary>Publishes the effects of a committed batch.</summary>
    public void Publish(List<TaskEvent> events, HashSet<string> wakeQueues)
    {
        foreach (var q in wakeQueues) WakeQueue(q);
        var subs = Volatile.Read(ref subscribers);
        foreach (var e in events)
        {
            if (e.State.IsTerminal())
            {
                Waiters? w;
                lock (gate) tasks.Remove(e.TaskId, out w);
                w?.Done.TrySetResult();
            }
            foreach (var s in subs)
            {
                try { s(e); }
                catch (Exception) { /* best effort: a faulty live view must not break the writer */ }
            }
        }
    }

    public bool HasSubscribers => Volatile.Read(ref subscribers).Length > 0;

    public IDisposable Subscribe(Action<TaskEvent> onEvent)
    {
        lock (gate) subscribers = [.. subscribers, onEvent];
        return new Subscription(this, onEvent);
    }

    private void Unsubscribe(Action<TaskEvent> onEvent)
    {
        lock (gate) subscribers = subscribers.Where(s => s != onEvent).ToArray();
    }

    private sealed class Subscription(Signals owner, Action<TaskEvent> onEvent) : IDisposable
    {
        private int disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref disposed, 1) == 0) owner.Unsubscribe(onEvent);
        }
    }
}
