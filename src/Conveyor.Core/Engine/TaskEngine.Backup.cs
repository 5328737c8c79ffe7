using Conveyor.Store;

namespace Conveyor.Engine;

public sealed partial class TaskEngine
{
    /// <summary>StoreBackup: a consistent copy of a running store into a new file (<c>conveyor store backup</c>).</summary>
    public ValueTask<StoreBackupResult> StoreBackup(StoreBackupParams request, CancellationToken ct = default)
    {
        if (string.IsNullOrWhiteSpace(request.Target))
            throw new ConveyorValidationException("to", "give the file to write the backup to");
        if (File.Exists(request.Target))
            throw new ConveyorValidationException("to", $"'{request.Target}' exists; a backup never overwrites a file: name a new one");
        return Store.StoreBackup(request, ct);
    }
}
