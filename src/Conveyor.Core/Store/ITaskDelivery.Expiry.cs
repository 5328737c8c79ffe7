namespace Conveyor.Store;

// Expiry (issue 14 item 4): a task not started by its expires_at ends Expired and never runs.
public partial interface ITaskDelivery
{
    /// <summary>
    /// True when the store keeps expires_at and ends expired tasks at lease time and in MaintenanceRun
    /// (a delivery kept apart from its records, RabbitMQ, answers for both: it ends them at lease, its
    /// records in maintenance). A store without it would run such a task late, so the engine refuses
    /// expiring submissions to it (a 400 naming the field) instead of storing a promise it cannot keep.
    /// </summary>
    bool SupportsExpiry => false;
}
