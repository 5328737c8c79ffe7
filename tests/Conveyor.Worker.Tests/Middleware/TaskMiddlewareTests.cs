using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using Conveyor.Diagnostics;
using Conveyor.Model;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Conveyor.Worker.Tests.Middleware;

/// <summary>The handler middleware chain (issue 11): order, failures, short-circuits, the built-ins' span and log scope.</summary>
public sealed class TaskMiddlewareTests
{
    private sealed class Recording(string name, ConcurrentQueue<string> log) : ITaskMiddleware
    {
        public async ValueTask<object?> InvokeAsync(TaskContext context, TaskHandlerDelegate next)
        {
            log.Enqueue($"{name}>");
            try { return await next(context); }
            finally { log.Enqueue($"<{name}"); }
        }
    }

    [Fact]
    public async Task Middleware_run_around_the_handler_in_registration_order_the_first_outermost()
    {
        var log = new ConcurrentQueue<string>();
        await using var h = new WorkerHarness();
        h.Handlers.Use(new Recording("a", log)).Use(new Recording("b", log));
        h.Handlers.Add("work", (JsonElement _, TaskContext _) => { log.Enqueue("handler"); return ValueTask.FromResult<object?>(42); });
        var id = await h.SubmitAsync("work");
        await h.StartAsync();
        var done = await h.WaitTerminalAsync(id);
        Assert.Equal(TaskState.Succeeded, done.State);
        Assert.Equal(42, done.Result!.Value.GetInt32());
        Assert.Equal(["a>", "b>", "handler", "<b", "<a"], log.ToArray());
    }

    private sealed class Throwing(Exception e) : ITaskMiddleware
    {
        public ValueTask<object?> InvokeAsync(TaskContext context, TaskHandlerDelegate next) => throw e;
    }

    [Fact]
    public async Task A_middlewares_exception_is_a_failed_attempt_by_the_handlers_rules()
    {
        await using var h = new WorkerHarness();
        var ran = 0;
        h.Handlers.Use(new Throwing(new PermanentTaskFailure("refused by policy", "policy")));
        h.Handlers.Add("work", (JsonElement _, TaskContext _) => { Interlocked.Increment(ref ran); return default; });
        var id = await h.SubmitAsync("work", maxAttempts: 3);
        await h.StartAsync();
        var done = await h.WaitTerminalAsync(id);
        Assert.Equal(TaskState.Failed, done.State);
        Assert.Equal(1, done.Attempt); // permanent: not retried
        Assert.Equal("policy", done.Error!.Type);
        Assert.Equal(0, ran);
    }

    [Fact]
    public async Task A_handlers_exception_propagates_through_the_middleware_as_a_failed_attempt()
    {
        var seen = new ConcurrentQueue<string>();
        await using var h = new WorkerHarness();
        h.Handlers.Use(new Observing(seen));
        h.Handlers.Add("boom", (JsonElement _, TaskContext _) => throw new InvalidOperationException("kaput"));
        var id = await h.SubmitAsync("boom", maxAttempts: 2);
        await h.StartAsync();
        var done = await h.WaitTerminalAsync(id);
        Assert.Equal(TaskState.Failed, done.State);
        Assert.Equal(2, done.Attempt); // retried once, then dead
        Assert.Equal("InvalidOperationException", done.Error!.Type);
        Assert.Equal(["kaput", "kaput"], seen.ToArray());
    }

    private sealed class Observing(ConcurrentQueue<string> seen) : ITaskMiddleware
    {
        public async ValueTask<object?> InvokeAsync(TaskContext context, TaskHandlerDelegate next)
        {
            try { return await next(context); }
            catch (Exception e) { seen.Enqueue(e.Message); throw; }
        }
    }

    private sealed class ShortCircuit : ITaskMiddleware
    {
        public ValueTask<object?> InvokeAsync(TaskContext context, TaskHandlerDelegate next) =>
            context.Metadata.ContainsKey("skip") ? ValueTask.FromResult<object?>("skipped") : next(context);
    }

    [Fact]
    public async Task A_middleware_can_answer_without_calling_the_handler()
    {
        await using var h = new WorkerHarness();
        var ran = new ConcurrentQueue<string>();
        h.Handlers.Use(new ShortCircuit());
        h.Handlers.Add("work", (JsonElement _, TaskContext c) => { ran.Enqueue(c.TaskId); return ValueTask.FromResult<object?>("ran"); });
        var skipped = await h.SubmitAsync("work", metadata: new Dictionary<string, string> { ["skip"] = "1" });
        var normal = await h.SubmitAsync("work");
        await h.StartAsync();
        Assert.Equal("skipped", (await h.WaitTerminalAsync(skipped)).Result!.Value.GetString());
        Assert.Equal("ran", (await h.WaitTerminalAsync(normal)).Result!.Value.GetString());
        Assert.Equal([normal], ran.ToArray());
    }

    private sealed class ScopeReader(ConcurrentQueue<(string?, IReadOnlyDictionary<string, object?>)> seen, ILoggerFactory loggers) : ITaskMiddleware
    {
        public async ValueTask<object?> InvokeAsync(TaskContext context, TaskHandlerDelegate next)
        {
            loggers.CreateLogger("user.middleware").LogInformation("inside the chain");
            seen.Enqueue((Activity.Current?.OperationName, CapturingLoggers.Current));
            return await next(context);
        }
    }

    [Fact]
    public async Task Middleware_registered_on_the_host_run_inside_the_built_in_span_and_log_scope()
    {
        var seen = new ConcurrentQueue<(string?, IReadOnlyDictionary<string, object?>)>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = s => s.Name == ConveyorDiagnostics.ActivitySourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
        };
        ActivitySource.AddActivityListener(listener);
        var capture = new CapturingLoggers();
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton<ILoggerFactory>(capture);
        builder.Services.AddSingleton(seen);
        builder.Services.AddConveyor(o => o.UseStore(_ => new Sqlite.SqliteTaskStore(new Sqlite.SqliteStoreOptions { Path = Sqlite.SqliteStoreOptions.InMemory }, TimeProvider.System)));
        builder.Services.AddConveyorWorker(o => { o.Queues = ["mw"]; o.LeaseWait = TimeSpan.FromSeconds(1); })
            .AddMiddleware<ScopeReader>()
            .AddHandler("scoped", (JsonElement _, TaskContext c) => { c.Logger.LogInformation("from the handler"); return default; });
        using var host = builder.Build();
        await host.StartAsync();
        try
        {
            var engine = host.Services.GetRequiredService<Engine.TaskEngine>();
            var id = (await engine.Submit(new TaskSubmission { Type = "scoped", Queue = "mw" })).Task.Id;
            var done = await engine.Wait(id, TimeSpan.FromSeconds(30));
            Assert.Equal(TaskState.Succeeded, done!.State);

            var (span, scope) = Assert.Single(seen);
            Assert.Equal("conveyor.task.process", span);
            Assert.Equal(id, scope["TaskId"]);
            Assert.Equal("mw", scope["Queue"]);
            Assert.Equal("scoped", scope["TaskType"]);
            Assert.Equal(1, scope["Attempt"]);
            foreach (var message in new[] { "inside the chain", "from the handler" })
                Assert.Equal(id, Assert.Single(capture.Entries, e => e.Message == message).Scope["TaskId"]);
        }
        finally
        {
            await host.StopAsync();
        }
    }
}

/// <summary>A logger factory that keeps every entry with the scope values active when it was written.</summary>
internal sealed class CapturingLoggers : ILoggerFactory, ILogger
{
    private static readonly AsyncLocal<Dictionary<string, object?>?> Scope = new();

    public static IReadOnlyDictionary<string, object?> Current => Scope.Value ?? [];

    public ConcurrentBag<(string Message, IReadOnlyDictionary<string, object?> Scope)> Entries { get; } = [];

    public ILogger CreateLogger(string categoryName) => this;
    public void AddProvider(ILoggerProvider provider) { }
    public void Dispose() { }
    public bool IsEnabled(LogLevel logLevel) => true;

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull
    {
        var before = Scope.Value;
        var now = new Dictionary<string, object?>(before ?? []);
        if (state is IEnumerable<KeyValuePair<string, object?>> pairs)
            foreach (var (k, v) in pairs) now[k] = v;
        Scope.Value = now;
        return new Pop(() => Scope.Value = before);
    }

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
        Entries.Add((formatter(state, exception), Scope.Value ?? []));

    private sealed class Pop(Action pop) : IDisposable
    {
        public void Dispose() => pop();
    }
}
