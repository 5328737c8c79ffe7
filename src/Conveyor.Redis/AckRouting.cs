namespace Conveyor.Redis;

/// <summary>Items of a batch acknowledgement grouped by the queue that holds them (null: unknown id).</summary>
internal sealed record AckGroup(string? Queue, List<int> Indexes);
