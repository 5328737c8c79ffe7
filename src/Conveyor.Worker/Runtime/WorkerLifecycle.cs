using Conveyor.Store;

namespace Conveyor.Worker.Runtime;

/// <summary>
/// Faktory's three-state life, set by the broker in its answers to the heartbeat: running → quiet
/// (lease nothing more, finish what is held) → draining (stop: drain and exit). It only moves forward;
/// a command repeated by every later heartbeat (the store keeps it set) changes nothing.
/// </summary>
internal sealed class WorkerLifecycle(Action onQuiet, Action onStop)
{
    private int _state; // 0 running, 1 quiet, 2 draining

    /// <summary>What the worker reports in its heartbeat: <see cref="WorkerStatus"/>.</summary>
    public string Status => Volatile.Read(ref _state) switch
    {
        0 => WorkerStatus.Running,
        1 => WorkerStatus.Quiet,
        _ => WorkerStatus.Draining,
    };

    /// <summary>
    /// Acts on a command from a heartbeat's answer: quiet stops leasing; stop asks the host (or the
    /// pool) to stop. True when the command moved the worker on (false: it was there already).
    /// </summary>
    public bool Apply(WorkerCommandKind command)
    {
        var quieted = command is WorkerCommandKind.Quiet or WorkerCommandKind.Stop && Advance(1);
        if (quieted) onQuiet();
        var stopped = command == WorkerCommandKind.Stop && Advance(2);
        if (stopped) onStop();
        return quieted || stopped;
    }

    /// <summary>The pool is stopping for any reason (host shutdown, stop command): report "draining".</summary>
    public void Draining() => Advance(2);

    private bool Advance(int to)
    {
        while (true)
        {
            var now = Volatile.Read(ref _state);
            if (now >= to) return false;
            if (Interlocked.CompareExchange(ref _state, to, now) == now) return true;
        }
    }
}
