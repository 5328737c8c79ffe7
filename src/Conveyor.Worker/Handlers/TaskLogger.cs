using Microsoft.Extensions.Logging;

namespace Conveyor.Worker;

/// <summary>
/// The handler's logger: every entry carries the task's id, type and attempt as a logging scope.
/// The scope is opened per entry, and only for entries that are enabled, so a handler that does not
/// log costs nothing.
/// </summary>
internal sealed class TaskLogger(ILogger inner, TaskContext context) : ILogger
{
    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => inner.BeginScope(state);

    public bool IsEnabled(LogLevel logLevel) => inner.IsEnabled(logLevel);

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (!inner.IsEnabled(logLevel)) return;
        using var scope = inner.BeginScope(new TaskScope(context));
        inner.Log(logLevel, eventId, state, exception, formatter);
    }

    /// <summary>Structured scope values: TaskId, TaskType, Attempt.</summary>
    private sealed class TaskScope(TaskContext c) : IReadOnlyList<KeyValuePair<string, object?>>
    {
        public KeyValuePair<string, object?> this[int index] => index switch
        {
            0 => new("TaskId", c.TaskId),
            1 => new("TaskType", c.Type),
            2 => new("Attempt", c.Attempt),
            _ => throw new ArgumentOutOfRangeException(nameof(index)),
        };

        public int Count => 3;

        public IEnumerator<KeyValuePair<string, object?>> GetEnumerator()
        {
            for (var i = 0; i < Count; i++) yield return this[i];
        }

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();

        public override string ToString() => $"task {c.TaskId} ({c.Type}, attempt {c.Attempt})";
    }
}
