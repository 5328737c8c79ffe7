namespace Conveyor.Store;

/// <summary>
/// A store shared by several machines whose clock is the time authority (Redis: its <c>TIME</c>).
/// Brokers and workers on machines whose clocks disagree then agree on when a lease expires and when
/// a delayed task is due, because every "now" handed to the store, and every <c>run_at</c> the engine
/// computes from a delay, comes from this clock. A SQLite store does not implement it: one file lives
/// on one machine, whose clock every process on it shares.
/// </summary>
public interface IStoreClock
{
    /// <summary>This machine's clock corrected by the offset last measured against the store's.</summary>
    TimeProvider Clock { get; }

    /// <summary>
    /// The clock a component should use: the store's when it has one and <paramref name="time"/> is the
    /// system clock; <paramref name="time"/> otherwise (a FakeTimeProvider in tests stays in charge).
    /// </summary>
    static TimeProvider For(ITaskStore store, TimeProvider time) =>
        store is IStoreClock c && ReferenceEquals(time, TimeProvider.System) ? c.Clock : time;
}
