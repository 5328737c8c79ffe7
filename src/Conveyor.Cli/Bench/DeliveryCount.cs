namespace Conveyor.Cli.Bench;

/// <summary>
/// How often each task ran, kept compact so a million-task W1 stays small: a task id (a UUID in its
/// canonical form) is held as its 16 bytes, not as a 36-character string in a concurrent map (which
/// made the bench itself grow to 340 MB at 1M tasks). Lost and duplicated deliveries are still
/// counted exactly, never sampled.
/// </summary>
internal sealed class DeliveryCount(int capacity)
{
    private readonly Lock _gate = new();
    private readonly Dictionary<Guid, int> _byId = new(capacity);
    private readonly Dictionary<string, int> _other = new(StringComparer.Ordinal); // ids that are not UUIDs (none today)
    private int _duplicates;

    /// <summary>Records one run of <paramref name="taskId"/>; true when it is the task's first.</summary>
    public bool Add(string taskId)
    {
        lock (_gate)
        {
            int count;
            if (Guid.TryParseExact(taskId, "D", out var id))
            {
                _byId.TryGetValue(id, out count);
                _byId[id] = ++count;
            }
            else
            {
                _other.TryGetValue(taskId, out count);
                _other[taskId] = ++count;
            }
            if (count > 1) _duplicates++;
            return count == 1;
        }
    }

    public int Duplicates { get { lock (_gate) return _duplicates; } }
}
