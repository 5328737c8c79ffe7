namespace Conveyor.Client.Protocol;

/// <summary>
/// <c>PUT /api/v1/queues/{name}/limits/{limit}</c>: at most <c>concurrency</c> running, and/or at most
/// <c>rate</c> started per <c>interval</c> (seconds), counted per value of <c>key</c>
/// (<c>metadata.&lt;name&gt;</c> or <c>args.&lt;field&gt;</c>) or for the whole queue when it is absent.
/// </summary>
public sealed record QueueLimitBody(string? Key = null, int? Concurrency = null, int? Rate = null, TimeSpan? Interval = null);

/// <summary><c>GET /api/v1/queues/{name}/limits</c>: each limit with its usage now (busiest keys first).</summary>
public sealed record QueueLimitListResponse(string Queue, IReadOnlyList<Conveyor.Store.QueueLimitInfo> Limits);
