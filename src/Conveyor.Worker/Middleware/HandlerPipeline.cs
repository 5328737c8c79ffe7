using Microsoft.Extensions.Logging;

namespace Conveyor.Worker.Middleware;

/// <summary>
/// Composes a pool's handler chain once, when it starts: tracing, log scope, metrics (built in), then
/// the registered middleware in order, then the handler the task's type names.
/// </summary>
internal static class HandlerPipeline
{
    public static TaskHandlerDelegate Build(HandlerRegistry handlers, TimeProvider time, ILogger taskLogger)
    {
        ITaskMiddleware[] chain = [new TracingMiddleware(), new LogScopeMiddleware(taskLogger), new MetricsMiddleware(time), .. handlers.Middleware];
        TaskHandlerDelegate next = context =>
            handlers.Find(context.Type) is { } invoker ? invoker.Invoke(context.RawArgs, context) : throw new Runtime.UnknownTaskTypeException(context.Type);
        for (var i = chain.Length - 1; i >= 0; i--)
        {
            var m = chain[i];
            var inner = next;
            next = context => m.InvokeAsync(context, inner);
        }
        return next;
    }
}
