using Conveyor.Diagnostics;

namespace Conveyor.Worker.Middleware;

/// <summary>
/// Built in: the handler's run time in the worker that ran it (<c>conveyor.handler.duration</c>, by
/// queue, type and outcome). The task counters are the engine's: they count transitions in the store.
/// </summary>
internal sealed class MetricsMiddleware(TimeProvider time) : ITaskMiddleware
{
    public async ValueTask<object?> InvokeAsync(TaskContext context, TaskHandlerDelegate next)
    {
        var started = time.GetTimestamp();
        var outcome = "failed";
        try
        {
            var result = await next(context).ConfigureAwait(false);
            outcome = "succeeded";
            return result;
        }
        finally
        {
            ConveyorDiagnostics.HandlerDuration.Record(time.GetElapsedTime(started).TotalSeconds,
                new(ConveyorDiagnostics.QueueTag, context.Queue), new(ConveyorDiagnostics.TypeTag, context.Type), new(ConveyorDiagnostics.OutcomeTag, outcome));
        }
    }
}
