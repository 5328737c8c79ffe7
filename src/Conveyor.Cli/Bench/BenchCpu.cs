using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Conveyor.Cli.Bench;

/// <summary>
/// enqueue: the bench process's own CPU (user + sys, all its threads) spent over a phase, per task
/// of that phase. Unlike a rate it barely moves on a loaded machine (a wait for a core costs no CPU),
/// so it is the figure to compare builds by on a shared machine. Direct (<c>--store</c>) it is the
/// engine's, the store client's and the bench's own callers' CPU; with <c>--broker</c> it is the HTTP
/// client's only (the server's CPU is in its own process).
/// </summary>
internal readonly record struct BenchCpu(TimeSpan At, long Allocated, long WorkItems, long Waits)
{
    public static BenchCpu Now()
    {
        using var self = Process.GetCurrentProcess();
        return new BenchCpu(self.TotalProcessorTime, GC.GetTotalAllocatedBytes(precise: true), ThreadPool.CompletedWorkItemCount, VoluntarySwitches());
    }

    /// <summary>CPU microseconds, managed bytes allocated, thread-pool work items run and voluntary context switches (by every thread) since this sample, per task.</summary>
    public PhaseCost PerTask(int tasks)
    {
        var now = Now();
        return tasks <= 0 ? new(double.NaN, double.NaN) : new((now.At - At).TotalMicroseconds / tasks, (double)(now.Allocated - Allocated) / tasks)
        {
            WorkItems = (double)(now.WorkItems - WorkItems) / tasks,
            Waits = Waits < 0 || now.Waits < 0 ? null : (double)(now.Waits - Waits) / tasks,
        };
    }

    /// <summary>
    /// enqueue2: the process's voluntary context switches (every thread's, live or ended: getrusage's
    /// ru_nvcsw), each a thread that blocked for want of work and had to be woken again: the cost of a
    /// hop between threads, and a count that moves little with the load. -1 where there is no getrusage.
    /// </summary>
    private static long VoluntarySwitches()
    {
        if (!OperatingSystem.IsLinux()) return -1;
        var usage = new long[18]; // struct rusage on 64-bit Linux: two timevals, then 14 longs; ru_nvcsw is the 13th
        return GetRUsage(0, usage) == 0 ? usage[16] : -1;
    }

    [DllImport("libc", EntryPoint = "getrusage")]
    private static extern int GetRUsage(int who, [Out] long[] usage);
}

/// <summary>
/// The bench process's CPU and allocations per task of each W1 phase (see <see cref="BenchCpu"/>);
/// the allocations are a count, the same on a quiet and a loaded machine.
/// </summary>
internal sealed record W1Cpu(PhaseCost EnqueueSingle, PhaseCost EnqueueBatch, PhaseCost Process);

/// <summary>One phase's CPU microseconds and allocated bytes per task (and, enqueue2, thread-pool work items and voluntary context switches per task).</summary>
internal sealed record PhaseCost(double Micros, double Bytes)
{
    public double WorkItems { get; init; }
    /// <summary>Null where the platform does not count them (not Linux).</summary>
    public double? Waits { get; init; }
}
