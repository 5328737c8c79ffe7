namespace Conveyor.Redis.Scripts;

// Records for a delivery kept outside Redis (RabbitMQ): the outbox and the lease by id.
internal static partial class ScriptCatalog
{
    private static StoreScript? _outboxTake, _outboxConfirm, _taskLeaseByIds, _outboxRelease;

    public static StoreScript OutboxTake => _outboxTake ??= Load(nameof(OutboxTake));
    public static StoreScript OutboxConfirm => _outboxConfirm ??= Load(nameof(OutboxConfirm));
    public static StoreScript TaskLeaseByIds => _taskLeaseByIds ??= Load(nameof(TaskLeaseByIds));
    public static StoreScript OutboxRelease => _outboxRelease ??= Load(nameof(OutboxRelease));

    private static IEnumerable<StoreScript> Outbox => [OutboxTake, OutboxConfirm, TaskLeaseByIds, OutboxRelease];
}
