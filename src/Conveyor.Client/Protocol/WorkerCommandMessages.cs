using Conveyor.Store;

namespace Conveyor.Client.Protocol;

/// <summary>
/// The answer to <c>POST /api/v1/workers/heartbeat</c>: the command set for the worker and the ids of
/// its running tasks whose cancel was requested (fire their handlers' tokens).
/// </summary>
public sealed record WorkerHeartbeatResponse(WorkerCommandKind Command, IReadOnlyList<string>? Cancel);

/// <summary>The answer (202) to <c>POST /api/v1/workers/{id}/quiet</c> and <c>/stop</c>.</summary>
public sealed record WorkerCommandResponse(string WorkerId, WorkerCommandKind Command);

/// <summary><c>GET /api/v1/task-types</c>: the types live workers announce, with how many workers run each.</summary>
public sealed record TaskTypeListResponse(IReadOnlyList<TaskTypeInfo> Types);
