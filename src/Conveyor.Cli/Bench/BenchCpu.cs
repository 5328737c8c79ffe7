using System.Diagnostics;

namespace Conveyor.Cli.Bench;

/// <summary>
/// enqueue: the bench process's own CPU (user + sys, all its threads) spent over a phase, per task
/// of that phase. Unlike a rate it barely moves on a loaded machine (a wait for a core costs no CPU),
/// so it is the figure to compare builds by on a shared machine. Direct (<c>--store</c>) it is the
/// engine's, the store client's and the bench's own callers' CPU; with <c>--broker</c> it is the HTTP
/// client's only (the server's CPU is in its own process).
/// </summary>
internal readonly record struct BenchCpu(TimeSpan At, long Allocated)
{
    public static BenchCpu Now()
    {
        using var self = Process.GetCurrentProcess();
        return new BenchCpu(self.TotalProcessorTime, GC.GetTotalAllocatedBytes(precise: true));
    }

    /// <summary>CPU microseconds and managed bytes allocated (by every thread) since this sample, per task.</summary>
    public PhaseCost PerTask(int tasks)
    {
        var now = Now();
        return tasks <= 0 ? new(double.NaN, double.NaN) : new((now.At - At).TotalMicroseconds / tasks, (double)(now.Allocated - Allocated) / tasks);
    }
}

/// <summary>
/// The bench process's CPU and allocations per task of each W1 phase (see <see cref="BenchCpu"/>);
/// the allocations are a count, the same on a quiet and a loaded machine.
/// </summary>
internal sealed record W1Cpu(PhaseCost EnqueueSingle, PhaseCost EnqueueBatch, PhaseCost Process);

/// <summary>One phase's CPU microseconds and allocated bytes per task.</summary>
internal sealed record PhaseCost(double Micros, double Bytes);
