namespace Conveyor.Worker;

/// <summary>The rest of a handler chain: the next middleware, and at the end the task's handler.</summary>
/// <returns>The handler's result (what the task succeeds with).</returns>
public delegate ValueTask<object?> TaskHandlerDelegate(TaskContext context);

/// <summary>
/// Server-side middleware (Sidekiq's server middleware): runs around every handler invocation of a
/// worker, in registration order, the first registered outermost, inside the built-in ones (the
/// attempt's span, its log scope, its metrics). Call <c>next(context)</c> to go on; what it returns is
/// the task's result. An exception (thrown by the handler or by a middleware) is a failed attempt,
/// decided by the same rules as a handler's own (<see cref="PermanentTaskFailure"/>,
/// <see cref="RetryTaskAfter"/>); returning without calling <c>next</c> short-circuits the handler and
/// the task succeeds with what was returned. Register with
/// <see cref="ConveyorWorkerBuilder.AddMiddleware{T}"/> or <see cref="HandlerRegistry.Use"/>. One
/// instance serves every task at once: keep it thread-safe.
/// </summary>
public interface ITaskMiddleware
{
    ValueTask<object?> InvokeAsync(TaskContext context, TaskHandlerDelegate next);
}
