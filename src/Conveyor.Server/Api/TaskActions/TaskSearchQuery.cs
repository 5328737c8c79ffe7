using Conveyor.Engine;
using Conveyor.Server.Http;
using Conveyor.Store;
using Microsoft.AspNetCore.Mvc;

namespace Conveyor.Server.Api;

/// <summary>The search parameters of <c>GET /api/v1/tasks</c> beyond state/queue/type (an empty value means "any").</summary>
internal sealed class TaskSearchQuery
{
    [FromQuery(Name = "idempotency_key")] public string? IdempotencyKey { get; set; }

    /// <summary>A metadata entry, <c>key=value</c>.</summary>
    [FromQuery(Name = "tag")] public string? Tag { get; set; }

    /// <summary>Text in the last error's type or message (case-insensitive).</summary>
    [FromQuery(Name = "error")] public string? Error { get; set; }

    [FromQuery(Name = "error_type")] public string? ErrorType { get; set; }

    /// <summary>The query with these filters; a malformed tag is a 400 naming <c>tag</c> (the engine checks the rest).</summary>
    public TaskListParams Apply(TaskListParams query)
    {
        var tag = QueryArgs.Text(Tag) is { } t ? TaskEngine.ParseTag(t) : ((string Key, string Value)?)null;
        return query with
        {
            IdempotencyKey = QueryArgs.Text(IdempotencyKey),
            TagKey = tag?.Key,
            TagValue = tag?.Value,
            Error = QueryArgs.Text(Error),
            ErrorType = QueryArgs.Text(ErrorType),
        };
    }
}
