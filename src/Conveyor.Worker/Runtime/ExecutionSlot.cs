using Conveyor.Model;
using Conveyor.Store;

namespace Conveyor.Worker.Runtime;

/// <summary>
/// One concurrency slot: the task its executor is running, that attempt's cancellation source and
/// latest progress. Reused task after task (the source is reset, not reallocated). The lock makes
/// "cancel task X" safe against the slot moving on to task Y in between.
/// </summary>
internal sealed class ExecutionSlot(TimeProvider time, Action? progressReported = null)
{
    private readonly Lock _gate = new();
    private CancellationTokenSource _cts = new(Timeout.InfiniteTimeSpan, time);
    private LeasedTask? _current;
    private CancelReason _reason;
    private TaskProgress? _progress;
    private bool _progressUnsent;
    private bool _abandoned;
    // skew: when the lease runs out by THIS machine's monotonic clock (a TimeProvider timestamp): the
    // time the lease (or its last renewal) was asked for plus its duration. Never the deadline the
    // store answered, which is on another machine's wall clock.
    private long _leaseExpiresAt;
    private DateTimeOffset _begunAt;

    public LeasedTask? Current { get { lock (_gate) return _current; } }

    /// <summary>Starts an attempt: returns the token that fires on timeout, cancel, lease loss or shutdown.</summary>
    /// <param name="leased">The task and its lease.</param>
    /// <param name="leaseDuration">What the lease was asked for (the default lease when null).</param>
    /// <param name="leasedAt">The timestamp (<see cref="TimeProvider.GetTimestamp"/>) taken before the lease was asked for; now when null.</param>
    public CancellationToken Begin(LeasedTask leased, TimeSpan? leaseDuration = null, long? leasedAt = null)
    {
        lock (_gate)
        {
            _current = leased;
            _reason = CancelReason.None;
            _progress = null;
            _progressUnsent = false;
            _abandoned = false;
            _leaseExpiresAt = ExpiresAt(leasedAt ?? time.GetTimestamp(), leaseDuration ?? TaskDefaults.LeaseDuration);
            _begunAt = time.GetUtcNow();
            _cts.CancelAfter(leased.Task.Timeout);
            return _cts.Token;
        }
    }

    /// <summary>The running task as the heartbeat announces it (started: the store's lease time), or null when idle or abandoned.</summary>
    public RunningTask? Running()
    {
        lock (_gate)
            return _current is null || _abandoned ? null
                : new RunningTask(_current.Task.Id, _current.Task.Type, _current.Task.StartedAt ?? _begunAt, _current.Task.Queue);
    }

    /// <summary>Ends the attempt and says why its token fired (None: it did not).</summary>
    /// <param name="nearTimeout">
    /// The attempt ended close to its timeout: the timer callback may be in flight, so the source is
    /// not reused (a late fire must never cancel the next task).
    /// </param>
    public (CancelReason Reason, bool Abandoned) End(bool nearTimeout)
    {
        lock (_gate)
        {
            var reason = _reason == CancelReason.None && _cts.IsCancellationRequested ? CancelReason.Timeout : _reason;
            var abandoned = _abandoned;
            _current = null;
            _progress = null;
            _progressUnsent = false;
            // A source whose token fired cannot be reset; its callbacks may still run, so it is left to the GC.
            if (nearTimeout || !_cts.TryReset()) _cts = new CancellationTokenSource(Timeout.InfiniteTimeSpan, time);
            return (reason, abandoned);
        }
    }

    /// <summary>Fires the handler's token if this slot still runs <paramref name="taskId"/>. The first reason wins.</summary>
    public bool TryCancel(string taskId, CancelReason reason)
    {
        lock (_gate)
        {
            if (_current is null || !string.Equals(_current.Task.Id, taskId, StringComparison.Ordinal)) return false;
            if (_reason != CancelReason.None) return false;
            // The timeout timer may have fired already: that was the first reason.
            _reason = _cts.IsCancellationRequested ? CancelReason.Timeout : reason;
            // CancelAsync: the token's state flips now, but user callbacks run off this lock.
            if (!_cts.IsCancellationRequested) _ = _cts.CancelAsync();
            return true;
        }
    }

    /// <summary>
    /// The handler ignored its token past the final deadline: its task was handed back by the pool,
    /// so whatever it eventually returns is dropped.
    /// </summary>
    public LeasedTask? Abandon()
    {
        lock (_gate)
        {
            if (_current is null) return null;
            _abandoned = true;
            return _current;
        }
    }

    /// <summary>A renewal asked for at <paramref name="sentAt"/> (a timestamp) was granted for <paramref name="duration"/>.</summary>
    public void LeaseExtended(string taskId, long sentAt, TimeSpan duration)
    {
        lock (_gate)
        {
            if (_current is null || !string.Equals(_current.Task.Id, taskId, StringComparison.Ordinal)) return;
            var expiresAt = ExpiresAt(sentAt, duration);
            if (expiresAt > _leaseExpiresAt) _leaseExpiresAt = expiresAt;
        }
    }

    /// <summary>The running task's id when its lease has run out by this machine's monotonic clock (renewals kept failing).</summary>
    public string? Expired()
    {
        lock (_gate)
            return _current is not null && time.GetTimestamp() >= _leaseExpiresAt ? _current.Task.Id : null;
    }

    /// <summary>
    /// Whether the running task's lease has less than <paramref name="left"/> to run by this machine's
    /// monotonic clock (a prefetched task that waited for its slot starts with part of its lease used).
    /// </summary>
    public bool LeaseShorterThan(TimeSpan left)
    {
        lock (_gate)
            return _current is not null && !_abandoned && _leaseExpiresAt - time.GetTimestamp() < (long)(left.TotalSeconds * time.TimestampFrequency);
    }

    private long ExpiresAt(long from, TimeSpan duration) => from + (long)(duration.TotalSeconds * time.TimestampFrequency);

    public void SetProgress(string taskId, TaskProgress progress)
    {
        lock (_gate)
        {
            // A context kept past its attempt must not write progress onto the slot's next task.
            if (_current is null || !string.Equals(_current.Task.Id, taskId, StringComparison.Ordinal)) return;
            _progress = progress;
            _progressUnsent = true;
        }
        progressReported?.Invoke();
    }

    /// <summary>The renewal item for the running task, or null when idle (or abandoned). Its progress counts as sent.</summary>
    public LeaseExtendParams? RenewalFor(TimeSpan leaseDuration)
    {
        lock (_gate)
        {
            if (_current is null || _abandoned) return null;
            _progressUnsent = false;
            return new LeaseExtendParams(_current.Task.Id, _current.LeaseToken, leaseDuration, _progress);
        }
    }

    /// <summary>
    /// A renewal carrying the running task's latest progress when no renewal has carried it yet (the
    /// renewer sends progress at most once a second), else null. Taken once: the executor sends it
    /// before the outcome, so a finished task shows the last progress its handler reported.
    /// </summary>
    public LeaseExtendParams? TakeUnsentProgress(TimeSpan leaseDuration)
    {
        lock (_gate)
        {
            if (_current is null || _abandoned || !_progressUnsent) return null;
            _progressUnsent = false;
            return new LeaseExtendParams(_current.Task.Id, _current.LeaseToken, leaseDuration, _progress);
        }
    }
}
