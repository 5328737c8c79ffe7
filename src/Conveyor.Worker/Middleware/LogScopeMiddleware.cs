using Microsoft.Extensions.Logging;

namespace Conveyor.Worker.Middleware;

/// <summary>
/// Built in: a logging scope around the handler with the task's id, queue, type and attempt, so every
/// entry logged while it runs (through <see cref="TaskContext.Logger"/> or any other ILogger of the
/// host) carries them: <c>TaskId</c>, <c>Queue</c>, <c>TaskType</c>, <c>Attempt</c>.
/// </summary>
internal sealed class LogScopeMiddleware(ILogger logger) : ITaskMiddleware
{
    public async ValueTask<object?> InvokeAsync(TaskContext context, TaskHandlerDelegate next)
    {
        using var scope = logger.BeginScope(new TaskScope(context));
        return await next(context).ConfigureAwait(false);
    }

    /// <summary>Structured scope values.</summary>
    private sealed class TaskScope(TaskContext c) : IReadOnlyList<KeyValuePair<string, object?>>
    {
        public KeyValuePair<string, object?> this[int index] => index switch
        {
            0 => new("TaskId", c.TaskId),
            1 => new("Queue", c.Queue),
            2 => new("TaskType", c.Type),
            3 => new("Attempt", c.Attempt),
            _ => throw new ArgumentOutOfRangeException(nameof(index)),
        };

        public int Count => 4;

        public IEnumerator<KeyValuePair<string, object?>> GetEnumerator()
        {
            for (var i = 0; i < Count; i++) yield return this[i];
        }

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();

        public override string ToString() => $"task {c.TaskId} ({c.Type} on {c.Queue}, attempt {c.Attempt})";
    }
}
