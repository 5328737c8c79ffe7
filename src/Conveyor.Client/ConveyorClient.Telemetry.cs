using System.Diagnostics;
using Conveyor.Diagnostics;
using Conveyor.Engine;
using Conveyor.Model;

namespace Conveyor.Client;

public sealed partial class ConveyorClient
{
    /// <summary>
    /// The submit-side middleware chain (<see cref="ISubmitMiddleware"/>), run in order around every
    /// <see cref="Submit(TaskSubmission, CancellationToken)"/> and <see cref="SubmitMany"/> of this
    /// client, before the request is sent (the broker's engine runs its own chain as well).
    /// </summary>
    public IReadOnlyList<ISubmitMiddleware> SubmitMiddleware { get; init; } = [];

    /// <summary>
    /// The client span of a submit ("conveyor.client.submit"), around the middleware chain and the
    /// request; HttpClient sends its context as the <c>traceparent</c> header, so the broker's
    /// producer span, and every attempt's span after it, are its children.
    /// </summary>
    private async ValueTask<IReadOnlyList<EnqueueResult>> Traced(IReadOnlyList<TaskSubmission> submissions, SubmitDelegate send, CancellationToken ct)
    {
        using var activity = ConveyorDiagnostics.ActivitySource.StartActivity("conveyor.client.submit", ActivityKind.Client);
        activity?.SetTag("conveyor.tasks.count", submissions.Count);
        try
        {
            return await (SubmitMiddleware.Count == 0 ? send : SubmitPipeline.Build(SubmitMiddleware, send))(submissions, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (activity is not null)
        {
            activity.SetStatus(ActivityStatusCode.Error, e.Message);
            throw;
        }
    }
}
