using Conveyor.Sqlite;
using Conveyor.Engine;
using Conveyor.Model;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Conveyor.Worker.Tests.Hosting;

public sealed class HostIntegrationTests
{
    /// <summary>A scoped dependency: one per task, disposed with the task's scope.</summary>
    public sealed class ScopeProbe : IDisposable
    {
        private static int _next;
        public static int Disposed;
        public int Number { get; } = Interlocked.Increment(ref _next);
        public void Dispose() => Interlocked.Increment(ref Disposed);
    }

    public sealed record WhoArgs(string Name);

    public sealed class WhoHandler(ScopeProbe probe) : ITaskHandler<WhoArgs>
    {
        public ValueTask<object?> HandleAsync(WhoArgs args, TaskContext context) =>
            ValueTask.FromResult<object?>(new { name = args.Name, scope = probe.Number, same_scope = ReferenceEquals(probe, context.Services.GetRequiredService<ScopeProbe>()) });
    }

    private static IHost BuildHost(Action<ConveyorWorkerBuilder>? handlers = null)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddConveyor(o => o.UseSqlite(SqliteStoreOptions.InMemory));
        builder.Services.AddScoped<ScopeProbe>();
        var worker = builder.Services.AddConveyorWorker(o => { o.Concurrency = 2; o.LeaseWait = TimeSpan.FromSeconds(1); })
            .AddHandler<WhoHandler, WhoArgs>("who")
            .AddBuiltInHandlers(b => b.EmailSendDuration = TimeSpan.FromMilliseconds(10));
        handlers?.Invoke(worker);
        return builder.Build();
    }

    [Fact]
    public async Task A_hosted_worker_runs_a_submitted_task_end_to_end()
    {
        using var host = BuildHost();
        await host.StartAsync();
        var engine = host.Services.GetRequiredService<TaskEngine>();

        var submitted = await engine.Submit(new TaskSubmission { Type = "fib", Args = System.Text.Json.JsonDocument.Parse("""{"n": 35}""").RootElement });
        var task = await engine.Wait(submitted.Task.Id, TimeSpan.FromSeconds(60));

        Assert.Equal(TaskState.Succeeded, task?.State);
        Assert.Equal(9227465, task?.Result?.GetInt64());
        await host.StopAsync();
        Assert.Empty((await engine.WorkerList(TimeSpan.FromHours(1))).Live); // left the registry on stop
    }

    [Fact]
    public async Task Every_task_gets_its_own_DI_scope_disposed_when_the_task_ends()
    {
        using var host = BuildHost();
        await host.StartAsync();
        var engine = host.Services.GetRequiredService<TaskEngine>();
        var disposedBefore = Volatile.Read(ref ScopeProbe.Disposed);

        var a = await engine.Submit(new TaskSubmission { Type = "who", Args = System.Text.Json.JsonDocument.Parse("""{"name": "a"}""").RootElement });
        var b = await engine.Submit(new TaskSubmission { Type = "who", Args = System.Text.Json.JsonDocument.Parse("""{"name": "b"}""").RootElement });
        var ra = (await engine.Wait(a.Task.Id, TimeSpan.FromSeconds(60)))!.Result!.Value;
        var rb = (await engine.Wait(b.Task.Id, TimeSpan.FromSeconds(60)))!.Result!.Value;
        await host.StopAsync();

        Assert.Equal("a", ra.GetProperty("name").GetString());
        Assert.NotEqual(ra.GetProperty("scope").GetInt32(), rb.GetProperty("scope").GetInt32());
        Assert.True(ra.GetProperty("same_scope").GetBoolean()); // ctx.Services is the handler's own scope
        Assert.True(Volatile.Read(ref ScopeProbe.Disposed) - disposedBefore >= 2, "each task's scope was disposed");
    }

    [Fact]
    public void Registering_a_bad_or_repeated_kind_on_the_host_fails_at_once()
    {
        var services = new ServiceCollection();
        var worker = services.AddConveyorWorker();
        Assert.Throws<ConveyorValidationException>(() => worker.AddHandler("Bad Kind", (System.Text.Json.JsonElement _, TaskContext _) => default));
        worker.AddBuiltInHandlers();
        var ex = Assert.Throws<ConveyorValidationException>(() => worker.AddHandler("fib", (System.Text.Json.JsonElement _, TaskContext _) => default));
        Assert.Contains("'fib' is already registered", ex.Message);
    }

    [Fact]
    public async Task Invalid_worker_options_stop_the_host_from_starting_with_a_clear_message()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddConveyor(o => o.UseStore(sp => new SqliteTaskStore(new SqliteStoreOptions { Path = SqliteStoreOptions.InMemory })));
        builder.Services.AddConveyorWorker(o => o.Concurrency = -1).AddBuiltInHandlers();
        using var host = builder.Build();
        var ex = await Assert.ThrowsAsync<ConveyorValidationException>(() => host.StartAsync());
        Assert.Contains("concurrency must be between 1 and 10000; got -1", ex.Message);
    }

    [Fact]
    public async Task A_hosted_worker_without_a_transport_says_how_to_get_one()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddConveyorWorker().AddBuiltInHandlers();
        using var host = builder.Build();
        var ex = await Assert.ThrowsAsync<InvalidOperationException>(() => host.StartAsync());
        Assert.Contains("AddConveyor(o => o.UseSqlite", ex.Message);
    }

    [Fact]
    public void AddConveyor_without_a_store_is_refused_with_a_clear_message()
    {
        var ex = Assert.Throws<ConveyorValidationException>(() => new ServiceCollection().AddConveyor(_ => { }));
        Assert.Contains("choose a store", ex.Message);
    }

    [Fact]
    public async Task UseSqlite_with_a_file_keeps_tasks_in_that_file()
    {
        var path = Path.Combine(Path.GetTempPath(), $"conveyor-worker-{Guid.NewGuid():N}.db");
        try
        {
            var builder = Host.CreateApplicationBuilder();
            builder.Services.AddConveyor(o => o.UseSqlite(path));
            builder.Services.AddConveyorWorker(o => o.LeaseWait = TimeSpan.FromSeconds(1)).AddBuiltInHandlers();
            string id;
            using (var host = builder.Build())
            {
                await host.StartAsync();
                var engine = host.Services.GetRequiredService<TaskEngine>();
                id = (await engine.Submit(new TaskSubmission { Type = "noop" })).Task.Id;
                Assert.Equal(TaskState.Succeeded, (await engine.Wait(id, TimeSpan.FromSeconds(60)))?.State);
                await host.StopAsync();
            }
            Assert.True(File.Exists(path));
            await using var reopened = new SqliteTaskStore(new SqliteStoreOptions { Path = path });
            Assert.Equal(TaskState.Succeeded, (await reopened.TaskGet(id))?.State);
        }
        finally
        {
            foreach (var f in new[] { path, path + "-wal", path + "-shm" }) File.Delete(f);
        }
    }
}
