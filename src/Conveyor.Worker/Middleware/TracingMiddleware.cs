using System.Diagnostics;
using Conveyor.Diagnostics;

namespace Conveyor.Worker.Middleware;

/// <summary>
/// Built in, outermost: the attempt's consumer span, the child of the submit's producer span through
/// the <c>traceparent</c> the task carries in its metadata (across an HTTP broker and a remote worker
/// alike). The handler and every middleware inside run with it as <see cref="Activity.Current"/>.
/// </summary>
internal sealed class TracingMiddleware : ITaskMiddleware
{
    public async ValueTask<object?> InvokeAsync(TaskContext context, TaskHandlerDelegate next)
    {
        using var activity = Start(context);
        if (activity is null) return await next(context).ConfigureAwait(false);
        try
        {
            var result = await next(context).ConfigureAwait(false);
            activity.SetTag("conveyor.task.outcome", "succeeded");
            return result;
        }
        catch (Exception e)
        {
            activity.SetTag("conveyor.task.outcome", "failed")
                .SetTag("error.type", e switch { PermanentTaskFailure p => p.ErrorType, RetryTaskAfter r => r.ErrorType, _ => e.GetType().Name })
                .SetStatus(ActivityStatusCode.Error, e.Message);
            throw;
        }
    }

    private static Activity? Start(TaskContext task)
    {
        var source = ConveyorDiagnostics.ActivitySource;
        if (!source.HasListeners()) return null;
        ActivityContext parent = default;
        if (task.Metadata.TryGetValue(ConveyorDiagnostics.TraceParentKey, out var tp))
            ActivityContext.TryParse(tp, null, isRemote: true, out parent);
        var activity = source.StartActivity("conveyor.task.process", ActivityKind.Consumer, parent);
        activity?.SetTag("conveyor.task.id", task.TaskId)
            .SetTag("conveyor.task.type", task.Type)
            .SetTag("conveyor.task.queue", task.Queue)
            .SetTag("conveyor.task.attempt", task.Attempt);
        return activity;
    }
}
