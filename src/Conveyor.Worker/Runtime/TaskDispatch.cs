using System.Runtime.CompilerServices;
using Conveyor.Store;

namespace Conveyor.Worker.Runtime;

/// <summary>
/// w2pickup: the lease loop's hand-off of leased tasks to the executors (an unbounded channel before).
/// Each task goes to ONE idle executor, the one idle the shortest time (the channel woke every waiting
/// executor for every task written); with none idle (prefetch) it waits, in lease order, for the next
/// executor that frees. The last task of a lease call starts on the thread its lease returned on
/// (<see cref="StartLast"/>): a pickup's handler starts without a thread-pool hop, and the lease loop
/// itself goes on from the pool, so a handler that runs long without awaiting never holds up leasing.
/// The other tasks of the call start on the pool, in parallel. <see cref="Complete"/> ends the
/// executors once the tasks already handed are taken (a channel's completion).
/// </summary>
internal sealed class TaskDispatch
{
    private readonly Lock _gate = new();
    private readonly Queue<LeasedTask> _waiting = new();
    // Continuations run where the task is handed: on the pool (Post) or on the lease's thread (StartLast).
    private readonly Stack<TaskCompletionSource<LeasedTask?>> _idle = new();
    private bool _completed;

    /// <summary>An executor's next task, or null once the dispatch is complete and nothing is left.</summary>
    public ValueTask<LeasedTask?> Take()
    {
        lock (_gate)
        {
            if (_waiting.TryDequeue(out var task)) return new(task);
            if (_completed) return new((LeasedTask?)null);
            var idle = new TaskCompletionSource<LeasedTask?>();
            _idle.Push(idle);
            return new(idle.Task);
        }
    }

    /// <summary>Hands <paramref name="task"/> to an idle executor, which starts it on the pool; or queues it.</summary>
    public void Post(LeasedTask task)
    {
        if (Route(task) is { } idle) ThreadPool.UnsafeQueueUserWorkItem(static s => s.Idle.TrySetResult(s.Task), (Idle: idle, Task: task), preferLocal: false);
    }

    /// <summary>
    /// Hands <paramref name="task"/> to an idle executor that starts it on this thread once the awaiting
    /// lease loop has moved to the pool; with no executor idle it is queued, and the await completes at once.
    /// </summary>
    public InlineStart StartLast(LeasedTask task) => new(Route(task), task);

    /// <summary>No more tasks: executors end once the queued ones are taken.</summary>
    public void Complete()
    {
        TaskCompletionSource<LeasedTask?>[] idle;
        lock (_gate)
        {
            if (_completed) return;
            _completed = true;
            idle = [.. _idle];
            _idle.Clear();
        }
        foreach (var i in idle) ThreadPool.UnsafeQueueUserWorkItem(static s => s.TrySetResult(null), i, preferLocal: false);
    }

    private TaskCompletionSource<LeasedTask?>? Route(LeasedTask task)
    {
        lock (_gate)
        {
            if (_idle.TryPop(out var idle)) return idle;
            _waiting.Enqueue(task);
            return null;
        }
    }

    /// <summary>
    /// The awaitable of <see cref="StartLast"/>: the awaiting method's continuation is queued to the pool
    /// first, then the claimed executor runs the task here, up to its handler's first await.
    /// </summary>
    internal readonly struct InlineStart(TaskCompletionSource<LeasedTask?>? idle, LeasedTask task) : ICriticalNotifyCompletion
    {
        public InlineStart GetAwaiter() => this;
        public bool IsCompleted => idle is null;
        public void GetResult() { }
        public void OnCompleted(Action continuation) => Start(continuation, flowContext: true);
        public void UnsafeOnCompleted(Action continuation) => Start(continuation, flowContext: false);

        private void Start(Action continuation, bool flowContext)
        {
            if (flowContext) ThreadPool.QueueUserWorkItem(static c => c(), continuation, preferLocal: false);
            else ThreadPool.UnsafeQueueUserWorkItem(static c => c(), continuation, preferLocal: false);
            idle!.TrySetResult(task);
        }
    }
}
