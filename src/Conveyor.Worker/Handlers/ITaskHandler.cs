using System.Text.Json;

namespace Conveyor.Worker;

/// <summary>
/// The handler contract: the seam between the worker runtime and user code. A handler is registered
/// under a kind string (the task's <c>type</c>, e.g. <c>"email.send"</c>), never found by a type name.
/// </summary>
/// <typeparam name="TArgs">
/// The task's args are bound to this type, and only this type, with System.Text.Json and
/// <see cref="Json.ConveyorJson.Options"/> (snake_case). Args that do not bind fail the task at once,
/// without retries (error type <c>invalid_args</c>): running it again would not make them bind.
/// </typeparam>
public interface ITaskHandler<in TArgs>
{
    /// <summary>
    /// Runs one attempt. The returned value becomes the task's JSON result (null: no result). Throw
    /// <see cref="PermanentTaskFailure"/> to fail without retrying, <see cref="RetryTaskAfter"/> to retry
    /// after a given delay; any other exception is a failed attempt, retried by the task's backoff.
    /// Honour <see cref="TaskContext.CancellationToken"/>: it fires on timeout, cancel, lease loss and
    /// shutdown.
    /// </summary>
    ValueTask<object?> HandleAsync(TArgs args, TaskContext context);
}

/// <summary>The untyped handler: receives the args as raw JSON.</summary>
public interface ITaskHandler : ITaskHandler<JsonElement>;
