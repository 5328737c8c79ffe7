namespace Conveyor.Engine;

/// <summary>Task ids: UUIDv7 (time-ordered: they sort by creation time), in the canonical lower-case form.</summary>
public static class TaskIds
{
    public static string New(TimeProvider time) => Guid.CreateVersion7(time.GetUtcNow()).ToString("D");

    public static bool IsValid(string? id) => id is { Length: 36 } && Guid.TryParseExact(id, "D", out _);
}
