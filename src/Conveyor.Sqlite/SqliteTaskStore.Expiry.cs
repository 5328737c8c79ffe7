namespace Conveyor.Sqlite;

// Expiry (issue 14 item 4): Ops/ExpiryOps.cs, run inside TaskLease and MaintenanceRun; migration 17.
public sealed partial class SqliteTaskStore
{
    public bool SupportsExpiry => true;
}
