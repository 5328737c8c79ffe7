using System.Collections.Concurrent;
using System.Text.Json;
using Conveyor.Model;
using Microsoft.Extensions.Logging;

namespace Conveyor.Worker.Tests.Handlers;

public sealed class TaskLoggerTests
{
    [Fact]
    public async Task A_handlers_log_entries_carry_the_task_id_type_and_attempt()
    {
        var capture = new CapturingLoggers();
        await using var h = new WorkerHarness { Loggers = capture };
        h.Handlers.Add("chatty", (JsonElement _, TaskContext ctx) => { ctx.Logger.LogInformation("hello from {Who}", "the handler"); return default; });
        var id = await h.SubmitAsync("chatty");
        await h.StartAsync();
        Assert.Equal(TaskState.Succeeded, (await h.WaitTerminalAsync(id)).State);

        var entry = Assert.Single(capture.Entries, e => e.Message == "hello from the handler");
        Assert.Equal(id, entry.Scope["TaskId"]);
        Assert.Equal("chatty", entry.Scope["TaskType"]);
        Assert.Equal(1, entry.Scope["Attempt"]);
    }

    private sealed record Entry(string Message, Dictionary<string, object?> Scope);

    private sealed class CapturingLoggers : ILoggerFactory, ILogger
    {
        private readonly AsyncLocal<Dictionary<string, object?>?> _scope = new();
        public ConcurrentBag<Entry> Entries { get; } = [];

        public ILogger CreateLogger(string categoryName) => this;
        public void AddProvider(ILoggerProvider provider) { }
        public void Dispose() { }
        public bool IsEnabled(LogLevel logLevel) => true;

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull
        {
            var before = _scope.Value;
            var now = new Dictionary<string, object?>(before ?? []);
            if (state is IEnumerable<KeyValuePair<string, object?>> pairs)
                foreach (var (k, v) in pairs) now[k] = v;
            _scope.Value = now;
            return new Pop(() => _scope.Value = before);
        }

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Entries.Add(new Entry(formatter(state, exception), _scope.Value ?? []));

        private sealed class Pop(Action pop) : IDisposable
        {
            public void Dispose() => pop();
        }
    }
}
