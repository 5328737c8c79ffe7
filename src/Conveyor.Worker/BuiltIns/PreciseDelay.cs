using System.Diagnostics;

namespace Conveyor.Worker;

/// <summary>
/// A delay that ends when it says, for the built-in <c>sleep</c> task (a stand-in for I/O) and the
/// benchmark's W3. Why not <see cref="Task.Delay(TimeSpan, CancellationToken)"/>: on Linux the .NET timer
/// queue reads the coarse monotonic clock (CLOCK_MONOTONIC_COARSE, 4 ms ticks), so a 10 ms Task.Delay
/// takes 10 to 14 ms, 12.3 ms on average as measured here: a "10 ms sleep" that is a quarter longer
/// than asked, which is the timer's error and not the work's. Real I/O completions do not wait for a
/// clock tick. This one keeps its deadlines on <see cref="Stopwatch"/> (the precise monotonic clock)
/// and waits on one dedicated thread; it overshoots by well under a millisecond.
/// A fake <see cref="TimeProvider"/> (tests) keeps Task.Delay's semantics; so do delays over a second,
/// where a few milliseconds do not matter.
/// </summary>
internal static class PreciseDelay
{
    private static readonly TimeSpan Longest = TimeSpan.FromSeconds(1);

    public static Task Delay(TimeSpan duration, TimeProvider time, CancellationToken ct)
    {
        if (!ReferenceEquals(time, TimeProvider.System) || duration > Longest) return Task.Delay(duration, time, ct);
        if (ct.IsCancellationRequested) return Task.FromCanceled(ct);
        if (duration <= TimeSpan.Zero) return Task.CompletedTask;
        return TimerThread.Instance.Schedule(Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency), ct);
    }

    private sealed class TimerThread
    {
        public static readonly TimerThread Instance = new();

        private readonly object _gate = new(); // Monitor.Wait/Pulse need a monitor, not a System.Threading.Lock
        private readonly PriorityQueue<TaskCompletionSource, long> _due = new();

        private TimerThread()
        {
            new Thread(Run) { IsBackground = true, Name = "conveyor precise delay" }.Start();
        }

        public Task Schedule(long dueTimestamp, CancellationToken ct)
        {
            var tcs = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            if (ct.CanBeCanceled)
            {
                // A cancelled delay stays in the queue until its deadline, then completes nothing.
                var registration = ct.UnsafeRegister(static (s, token) => ((TaskCompletionSource)s!).TrySetCanceled(token), tcs);
                tcs.Task.ContinueWith(static (_, r) => ((CancellationTokenRegistration)r!).Dispose(), registration,
                    CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            }
            lock (_gate)
            {
                var earliest = _due.TryPeek(out _, out var first) ? first : long.MaxValue;
                _due.Enqueue(tcs, dueTimestamp);
                if (dueTimestamp < earliest) Monitor.Pulse(_gate);
            }
            return tcs.Task;
        }

        private void Run()
        {
            var ready = new List<TaskCompletionSource>();
            while (true)
            {
                lock (_gate)
                {
                    while (true)
                    {
                        if (!_due.TryPeek(out _, out var first))
                        {
                            Monitor.Wait(_gate);
                            continue;
                        }
                        var now = Stopwatch.GetTimestamp();
                        if (first <= now) break;
                        // Round up: waking early only costs another turn of this loop.
                        var ms = (int)Math.Min(int.MaxValue, ((first - now) * 1000 + Stopwatch.Frequency - 1) / Stopwatch.Frequency);
                        Monitor.Wait(_gate, ms);
                    }
                    var cutoff = Stopwatch.GetTimestamp();
                    while (_due.TryPeek(out var tcs, out var at) && at <= cutoff)
                    {
                        _due.Dequeue();
                        ready.Add(tcs);
                    }
                }
                foreach (var tcs in ready) tcs.TrySetResult();
                ready.Clear();
            }
        }
    }
}
