using System.Diagnostics;
using System.Runtime.InteropServices;

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
    /// <summary>Whether the last fraction of a millisecond is slept precisely (Linux, 64-bit: clock_nanosleep found).</summary>
    internal static bool SubMillisecond => NanoSleep.Available;

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
                long sleepUntil = 0;
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
                        if (NanoSleep.Available && first - now < NanoSleep.Below)
                        {
                            // The last fraction of a millisecond, which Monitor.Wait cannot count (it
                            // rounds to whole ones: rounding up overshot by 0.5 ms on average). Slept
                            // outside the lock, so Schedule never waits for it; a new earlier deadline can
                            // only be one under a millisecond away, and waits at most this long.
                            sleepUntil = first;
                            break;
                        }
                        // Whole milliseconds, rounded down where the precise sleep takes over the rest.
                        var ticks = first - now;
                        var ms = NanoSleep.Available
                            ? (int)Math.Min(int.MaxValue, ticks * 1000 / Stopwatch.Frequency)
                            : (int)Math.Min(int.MaxValue, (ticks * 1000 + Stopwatch.Frequency - 1) / Stopwatch.Frequency);
                        Monitor.Wait(_gate, ms);
                    }
                    if (sleepUntil == 0)
                    {
                        var cutoff = Stopwatch.GetTimestamp();
                        while (_due.TryPeek(out var tcs, out var at) && at <= cutoff)
                        {
                            _due.Dequeue();
                            ready.Add(tcs);
                        }
                    }
                }
                if (sleepUntil != 0)
                {
                    NanoSleep.Until(sleepUntil);
                    continue;
                }
                foreach (var tcs in ready) tcs.TrySetResult();
                ready.Clear();
            }
        }
    }

    /// <summary>
    /// clock_nanosleep on CLOCK_MONOTONIC to an absolute deadline: the clock <see cref="Stopwatch"/> reads
    /// on Linux (nanosecond ticks). Elsewhere the millisecond wait rounds up and does the whole job.
    /// </summary>
    private static class NanoSleep
    {
        private const int ClockMonotonic = 1, TimerAbsTime = 1;

        public static readonly bool Available = Probe();

        /// <summary>Below this much time left (in Stopwatch ticks), the rest is slept precisely.</summary>
        public static readonly long Below = Stopwatch.Frequency / 1000;

        // One relative sleep of zero: if the C library or its clock_nanosleep cannot be found here, the
        // millisecond wait does the whole job rather than the timer thread dying on its first deadline.
        private static bool Probe()
        {
            if (!OperatingSystem.IsLinux() || !Environment.Is64BitProcess || Stopwatch.Frequency != 1_000_000_000) return false;
            try
            {
                var zero = new TimeSpec();
                return clock_nanosleep(ClockMonotonic, 0, in zero, IntPtr.Zero) == 0;
            }
            catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
            {
                return false;
            }
        }

        public static void Until(long timestamp)
        {
            var spec = new TimeSpec { Seconds = timestamp / 1_000_000_000, Nanoseconds = timestamp % 1_000_000_000 };
            // EINTR (a signal) only ends the sleep early: the caller's loop looks at the clock again.
            _ = clock_nanosleep(ClockMonotonic, TimerAbsTime, in spec, IntPtr.Zero);
        }

        [StructLayout(LayoutKind.Sequential)]
        private struct TimeSpec
        {
            public long Seconds;
            public long Nanoseconds;
        }

        [DllImport("libc", EntryPoint = "clock_nanosleep")]
        private static extern int clock_nanosleep(int clock, int flags, in TimeSpec request, IntPtr remaining);
    }
}
