using Conveyor.Client;
using Conveyor.Engine;
using Conveyor.Model;
using Conveyor.Gateway;

namespace Conveyor.Cli.Bench;

/// <summary>
/// Where a bench run sends its work: straight to a store through the engine (<c>--store</c>), or to a
/// broker over HTTP (<c>--broker</c>). The workloads are the same either way; only this differs.
/// </summary>
internal interface IBenchTarget : IAsyncDisposable
{
    string Name { get; }
    IWorkerGateway Transport { get; }
    Task Submit(TaskSubmission submission, CancellationToken ct);
    Task SubmitMany(IReadOnlyList<TaskSubmission> submissions, CancellationToken ct);
    /// <summary>limits: puts a limit on the queue (<c>--w1-limit</c>).</summary>
    Task QueueLimitSet(string queue, Conveyor.Limits.QueueLimit limit, CancellationToken ct);
}

internal sealed class EngineBenchTarget(TaskEngine engine, string name, Func<ValueTask> dispose) : IBenchTarget
{
    public string Name { get; } = name;
    public IWorkerGateway Transport { get; } = new EngineGateway(engine);
    public TaskEngine Engine => engine;
    public async Task Submit(TaskSubmission submission, CancellationToken ct) => await engine.Submit(submission, ct).ConfigureAwait(false);
    public async Task SubmitMany(IReadOnlyList<TaskSubmission> submissions, CancellationToken ct) => await engine.SubmitMany(submissions, ct).ConfigureAwait(false);
    public async Task QueueLimitSet(string queue, Conveyor.Limits.QueueLimit limit, CancellationToken ct) => await engine.QueueLimitSet(queue, limit, ct).ConfigureAwait(false);
    public ValueTask DisposeAsync() => dispose();
}

internal sealed class HttpBenchTarget : IBenchTarget
{
    private readonly HttpClient _http;
    private readonly ConveyorClient _client;

    public HttpBenchTarget(string brokerUrl, string? token)
    {
        // One pooled handler shared by producers and the worker: many connections, kept alive.
        _http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 64, PooledConnectionLifetime = TimeSpan.FromMinutes(10) })
        {
            BaseAddress = new Uri(brokerUrl + "/"),
            Timeout = TimeSpan.FromSeconds(100),
        };
        _client = new ConveyorClient(_http, token);
        Transport = new HttpWorkerGateway(_http, token);
        Name = $"http:{brokerUrl}";
    }

    public string Name { get; }
    public IWorkerGateway Transport { get; }
    public Task Submit(TaskSubmission submission, CancellationToken ct) => _client.Submit(submission, ct);
    public Task SubmitMany(IReadOnlyList<TaskSubmission> submissions, CancellationToken ct) => _client.SubmitMany(submissions, ct);
    public Task QueueLimitSet(string queue, Conveyor.Limits.QueueLimit limit, CancellationToken ct) => _client.QueueLimitSet(queue, limit, ct);

    public ValueTask DisposeAsync()
    {
        _http.Dispose();
        return ValueTask.CompletedTask;
    }
}
