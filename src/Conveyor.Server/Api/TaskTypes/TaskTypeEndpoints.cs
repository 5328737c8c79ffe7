using Conveyor.Client.Protocol;
using Conveyor.Engine;
using Conveyor.Server.Auth;
using Conveyor.Server.Http;

namespace Conveyor.Server.Api;

/// <summary>TaskTypes: the task types live workers announce in their heartbeats (the submit page's choices).</summary>
internal static class TaskTypeEndpoints
{
    public static void Map(IEndpointRouteBuilder app) =>
        app.MapGet(Routes.TaskTypes, async (TaskEngine engine, ServerOptions options, CancellationToken ct) =>
                ApiResults.Ok(new TaskTypeListResponse(await engine.TaskTypes(options.WorkerLiveWithin, ct))))
            .WithTags("Workers").RequireScope(Scopes.Submit, Scopes.Work).Produces<TaskTypeListResponse>().WithName("TaskTypes")
            .WithSummary("The task types live workers announce, with how many workers run each");
}
