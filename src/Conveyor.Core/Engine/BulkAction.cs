using Conveyor.Model;

namespace Conveyor.Engine;

/// <summary>
/// A bulk action (<c>POST /api/v1/tasks/bulk</c>): <see cref="Action"/> ("retry", "cancel", "delete")
/// on explicit <see cref="Ids"/> or on every task matching <see cref="Filter"/> (one of the two).
/// <see cref="DryRun"/> counts the matches and changes nothing.
/// </summary>
public sealed record BulkActionRequest
{
    public const int MaxIds = 1000;

    public string? Action { get; init; }
    public IReadOnlyList<string>? Ids { get; init; }
    public BulkFilter? Filter { get; init; }
    public bool DryRun { get; init; }
}

/// <summary>The filter of a bulk action, as <c>GET /api/v1/tasks</c> takes it (<see cref="Tag"/> is <c>key=value</c>).</summary>
public sealed record BulkFilter
{
    public string? State { get; init; }
    public string? Queue { get; init; }
    public string? Type { get; init; }
    public string? Tag { get; init; }
    public string? Error { get; init; }
    public string? ErrorType { get; init; }
    public string? IdempotencyKey { get; init; }
}

/// <param name="Matched">Tasks the ids or the filter named (that exist).</param>
/// <param name="Changed">Tasks the action changed (a retry of a pending task, a cancel of a finished one change nothing).</param>
/// <param name="Id">The audit record's id; null for a dry run, which is not recorded.</param>
public sealed record BulkActionResult(long Matched, long Changed, string? Id);

/// <summary>The bulk actions and their wire names.</summary>
public enum BulkActionKind { Retry, Cancel, Delete }

public static class BulkActionKinds
{
    public static bool TryParse(string? text, out BulkActionKind kind)
    {
        switch (text)
        {
            case "retry": kind = BulkActionKind.Retry; return true;
            case "cancel": kind = BulkActionKind.Cancel; return true;
            case "delete": kind = BulkActionKind.Delete; return true;
            default: kind = default; return false;
        }
    }

    public static string ToWire(this BulkActionKind kind) => kind switch
    {
        BulkActionKind.Retry => "retry",
        BulkActionKind.Cancel => "cancel",
        _ => "delete",
    };
}
