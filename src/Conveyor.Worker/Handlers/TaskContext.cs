using System.Text.Json;
using Conveyor.Model;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Conveyor.Worker;

/// <summary>What a handler knows about the attempt it is running, and how it talks back to the runtime.</summary>
public sealed class TaskContext
{
    private readonly TaskRecord _task;
    private readonly Runtime.ExecutionSlot _slot;
    private readonly IServiceScopeFactory? _scopes;
    private readonly ILogger _baseLogger;
    private AsyncServiceScope? _scope;

    internal TaskContext(TaskRecord task, Runtime.ExecutionSlot slot, CancellationToken token, ILogger logger, IServiceScopeFactory? scopes, string workerId = "")
    {
        WorkerId = workerId;
        _task = task;
        _slot = slot;
        _scopes = scopes;
        CancellationToken = token;
        _baseLogger = logger;
    }

    public string TaskId => _task.Id;
    /// <summary>The id of the worker running this attempt (as recorded on the attempt).</summary>
    public string WorkerId { get; }
    public string Type => _task.Type;
    public string Queue => _task.Queue;
    /// <summary>This attempt's number, from 1.</summary>
    public int Attempt => _task.Attempt;
    public int MaxAttempts => _task.MaxAttempts;
    /// <summary>True when a failure of this attempt sends the task to the dead-letter queue.</summary>
    public bool IsLastAttempt => _task.Attempt >= _task.MaxAttempts;
    public IReadOnlyDictionary<string, string> Metadata => _task.Metadata;
    /// <summary>The raw args, as submitted.</summary>
    public JsonElement RawArgs => _task.Args;

    /// <summary>Fires when the attempt must stop: its timeout passed, the task was cancelled, the lease was lost, or the worker's drain deadline passed.</summary>
    public CancellationToken CancellationToken { get; }

    /// <summary>
    /// The task's logger (category <c>Conveyor.Task</c>). While the handler runs, every entry carries
    /// the task's id, queue, type and attempt as a logging scope (the built-in log scope middleware).
    /// </summary>
    public ILogger Logger => _baseLogger;

    /// <summary>This task's own DI scope, created on first use and disposed when the attempt ends.</summary>
    public IServiceProvider Services
    {
        get
        {
            if (_scope is { } s) return s.ServiceProvider;
            if (_scopes is null) throw new InvalidOperationException("this worker pool was built without a service provider (IServiceScopeFactory); register handlers as instances or delegates, or use the host integration");
            _scope = _scopes.CreateAsyncScope();
            return _scope.Value.ServiceProvider;
        }
    }

    /// <summary>
    /// Reports progress (0..100 and an optional message). The latest report travels with the next
    /// lease renewal (within about a second), so it shows on the task without a round trip per call.
    /// </summary>
    public void ReportProgress(int percent, string? message = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(percent, 0);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(percent, 100);
        if (message is { Length: > TaskProgress.MaxMessageLength }) message = message[..TaskProgress.MaxMessageLength];
        _slot.SetProgress(_task.Id, new TaskProgress(percent, message));
    }

    internal ValueTask DisposeScopeAsync() => _scope is { } s ? s.DisposeAsync() : ValueTask.CompletedTask;
}
