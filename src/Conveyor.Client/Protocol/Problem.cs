namespace Conveyor.Client.Protocol;

/// <summary>One field-level problem: <c>{"field": "tasks[3].priority", "message": "…"}</c>.</summary>
public sealed record FieldError(string Field, string Message);

/// <summary>An RFC 9457 problem details document as Conveyor writes it (<c>application/problem+json</c>).</summary>
public sealed record Problem
{
    public required string Type { get; init; }
    public required string Title { get; init; }
    public required int Status { get; init; }
    public string? Detail { get; init; }
    public string? Instance { get; init; }
    /// <summary>For validation problems: every field that is wrong.</summary>
    public IReadOnlyList<FieldError>? Errors { get; init; }
    public string? TraceId { get; init; }
}
