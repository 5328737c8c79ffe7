namespace Conveyor.Store;

public partial interface ITaskDelivery
{
    /// <summary>
    /// Hand the delivery what its records store made ready without it (a redrive, a retry now, a due
    /// retry, a reclaimed lease, an enqueue whose publish a crash cut short): the outbox, swept by
    /// maintenance and after record operations that make work ready. Returns how many tasks it
    /// published. A store that keeps delivery and records in one transaction (SQLite, Redis) has no
    /// outbox and answers 0.
    /// </summary>
    ValueTask<int> OutboxSweep(CancellationToken ct = default) => ValueTask.FromResult(0);
}
