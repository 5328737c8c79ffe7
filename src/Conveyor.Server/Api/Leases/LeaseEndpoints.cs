using Conveyor.Client.Protocol;
using Conveyor.Engine;
using Conveyor.Model;
using Conveyor.Server.Auth;
using Conveyor.Server.Http;
using Conveyor.Store;

namespace Conveyor.Server.Api;

/// <summary>
/// Worker routes for one task: TaskLease, TaskComplete, TaskFail, LeaseExtend (heartbeat). A stale
/// lease token answers 409 stale-lease and changes nothing (the store's fencing decides it).
/// </summary>
internal static class LeaseEndpoints
{
    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapPost(Routes.Leases, Lease).RequireScope(Scopes.Work).WithTags("Workers")
            .Accepts<LeaseRequest>("application/json").Produces<LeaseResponse>().ProducesProblem(400).WithName("TaskLease")
            .WithSummary("Lease up to `max` tasks from `queues` (in order), waiting up to `wait` seconds; answers the moment work arrives");

        var g = app.MapGroup(Routes.Tasks).WithTags("Workers").RequireScope(Scopes.Work);
        g.MapPost("/{id}/complete", Complete).Accepts<CompleteRequest>("application/json")
            .Produces<AckResult>().ProducesProblem(404).ProducesProblem(409).WithName("TaskComplete").WithSummary("Complete with a result");
        g.MapPost("/{id}/fail", Fail).Accepts<FailRequest>("application/json")
            .Produces<AckResult>().ProducesProblem(404).ProducesProblem(409).WithName("TaskFail")
            .WithSummary("Fail the attempt: retried with backoff while attempts are left (and retry is true), else dead");
        g.MapPost("/{id}/heartbeat", Heartbeat).Accepts<HeartbeatRequest>("application/json")
            .Produces<LeaseExtendResult>().ProducesProblem(404).ProducesProblem(409).WithName("LeaseExtend")
            .WithSummary("Extend the lease, report progress; cancel_requested tells the worker to stop the handler");
    }

    private static async Task<IResult> Lease(HttpContext ctx, TaskEngine engine, ServerOptions options)
    {
        var r = await JsonBody.Read<LeaseRequest>(ctx, options.MaxBodyBytes);
        var request = new TaskLeaseParams(r.WorkerId ?? "", r.Queues ?? [TaskDefaults.Queue], r.Max, r.LeaseDuration, r.Wait);
        var leased = await LongPoll.Run(ctx, ct => engine.Lease(request, ct), () => (IReadOnlyList<LeasedTask>)[]);
        if (leased.Count > 0 && ctx.RequestAborted.IsCancellationRequested)
        {
            // The worker hung up (a draining worker cancels its long poll) just as the store handed
            // out work. Nobody will run it: hand it straight back, uncharged, instead of letting the
            // lease expire into a failed attempt.
            await engine.ReleaseMany([.. leased.Select(l => new TaskReleaseParams(l.Task.Id, l.LeaseToken))], CancellationToken.None);
            return Results.Empty;
        }
        return ApiResults.Ok(new LeaseResponse(leased));
    }

    private static async Task<IResult> Complete(string id, HttpContext ctx, TaskEngine engine, ServerOptions options)
    {
        var r = await JsonBody.Read<CompleteRequest>(ctx, options.MaxBodyBytes);
        var results = await engine.CompleteMany([new TaskCompleteParams(id, Token(r.LeaseToken), r.Result)], ctx.RequestAborted);
        return Answer(id, results[0].Outcome, results[0]);
    }

    private static async Task<IResult> Fail(string id, HttpContext ctx, TaskEngine engine, ServerOptions options)
    {
        var r = await JsonBody.Read<FailRequest>(ctx, options.MaxBodyBytes);
        var error = Checks.Error(r.Error, "error");
        var results = await engine.FailMany([new TaskFailParams(id, Token(r.LeaseToken), error, r.Retry, r.RetryDelay)], ctx.RequestAborted);
        return Answer(id, results[0].Outcome, results[0]);
    }

    private static async Task<IResult> Heartbeat(string id, HttpContext ctx, TaskEngine engine, ServerOptions options)
    {
        var r = await JsonBody.Read<HeartbeatRequest>(ctx, options.MaxBodyBytes);
        var results = await engine.ExtendMany([new LeaseExtendParams(id, Token(r.LeaseToken), r.LeaseDuration ?? TaskDefaults.LeaseDuration, r.Progress)], ctx.RequestAborted);
        // A cancel fences the lease off; the worker must still hear "stop", so that answer is a 200.
        return results[0].CancelRequested ? ApiResults.Ok(results[0]) : Answer(id, results[0].Outcome, results[0]);
    }

    private static string Token(string? token) =>
        string.IsNullOrEmpty(token) ? throw ProblemException.Validation("lease_token", "lease_token is required: the token handed out with the lease") : token;

    private static IResult Answer<T>(string id, AckOutcome outcome, T body) => outcome switch
    {
        AckOutcome.Ok => ApiResults.Ok(body),
        AckOutcome.NotFound => throw ProblemException.NotFound($"no task {id}"),
        _ => throw ProblemException.StaleLease(id),
    };
}

/// <summary>Checks shared by the single and batch worker routes.</summary>
internal static class Checks
{
    public static TaskError Error(TaskError? error, string field)
    {
        if (error is null) throw ProblemException.Validation(field, $"{field} is required: {{\"type\", \"message\", \"detail\"?}}");
        if (string.IsNullOrEmpty(error.Type)) throw ProblemException.Validation(field + ".type", "error.type is required: a short classifier");
        if (error.Message is null) throw ProblemException.Validation(field + ".message", "error.message is required");
        return error;
    }
}
