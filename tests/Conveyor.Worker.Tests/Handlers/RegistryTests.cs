using System.Text.Json;
using Conveyor.Engine;

namespace Conveyor.Worker.Tests.Handlers;

public sealed class RegistryTests
{
    private static ValueTask<object?> Nothing(JsonElement _, TaskContext __) => default;

    [Theory]
    [InlineData("Fib")]
    [InlineData("email send")]
    [InlineData("")]
    [InlineData("-x")]
    public void A_kind_that_is_not_a_valid_task_type_is_refused(string kind)
    {
        var ex = Assert.Throws<ConveyorValidationException>(() => new HandlerRegistry().Add(kind, Nothing));
        Assert.Equal("kind", Assert.Single(ex.Errors).Field);
        Assert.Contains("not a valid task type", ex.Message);
    }

    [Fact]
    public void A_kind_registered_twice_is_refused()
    {
        var registry = new HandlerRegistry().Add("fib", Nothing);
        var ex = Assert.Throws<ConveyorValidationException>(() => registry.Add("fib", Nothing));
        Assert.Contains("already registered", ex.Message);
        Assert.Equal(["fib"], registry.Kinds);
    }

    [Fact]
    public void Handlers_cannot_be_added_once_a_pool_has_started_with_the_registry()
    {
        var registry = new HandlerRegistry().Add("a", Nothing);
        registry.Freeze();
        Assert.Throws<InvalidOperationException>(() => registry.Add("b", Nothing));
        Assert.NotNull(registry.Find("a"));
        Assert.Null(registry.Find("b"));
    }

    [Fact]
    public void Worker_options_are_validated_with_every_problem_listed()
    {
        var options = new WorkerOptions
        {
            Queues = ["ok", "NOT OK"],
            Concurrency = 0,
            LeaseDuration = TimeSpan.FromMilliseconds(10),
            LeaseBatch = 5000,
            LeaseWait = TimeSpan.FromMinutes(5),
        };
        var ex = Assert.Throws<ConveyorValidationException>(() => new WorkerPool(new NeverTransport(), new HandlerRegistry(), options));
        Assert.Equal(["worker.queues", "worker.concurrency", "worker.lease_duration", "worker.lease_batch", "worker.lease_wait"], ex.Errors.Select(e => e.Field));
        Assert.Contains("'NOT OK' is not a valid queue name", ex.Message);
        Assert.Contains("concurrency must be between 1 and 10000; got 0", ex.Message);
    }

    private sealed class TypedHandler : ITaskHandler
    {
        public ValueTask<object?> HandleAsync(JsonElement args, TaskContext context) => default;
    }

    [Fact]
    public void A_pool_with_DI_resolved_handlers_needs_a_scope_factory()
    {
        var registry = new HandlerRegistry().Add<TypedHandler, JsonElement>("typed");
        var ex = Assert.Throws<InvalidOperationException>(() => new WorkerPool(new NeverTransport(), registry, new WorkerOptions()));
        Assert.Contains("IServiceScopeFactory", ex.Message);
    }

    [Fact]
    public void Default_worker_options_are_valid()
    {
        var options = new WorkerOptions();
        Assert.Empty(options.Validate());
        Assert.Equal(TimeSpan.FromSeconds(30), options.LeaseDuration);
        Assert.Equal(["default"], options.Queues);
    }

    /// <summary>Only for the constructor test: options are refused before any call is made.</summary>
    private sealed class NeverTransport : Conveyor.Gateway.IWorkerGateway
    {
        private static T Never<T>() => throw new InvalidOperationException("not called");
        public ValueTask<IReadOnlyList<Store.LeasedTask>> Lease(Store.TaskLeaseParams r, CancellationToken ct = default) => Never<ValueTask<IReadOnlyList<Store.LeasedTask>>>();
        public ValueTask<IReadOnlyList<Store.AckResult>> CompleteMany(IReadOnlyList<Store.TaskCompleteParams> i, CancellationToken ct = default) => Never<ValueTask<IReadOnlyList<Store.AckResult>>>();
        public ValueTask<IReadOnlyList<Store.AckResult>> FailMany(IReadOnlyList<Store.TaskFailParams> i, CancellationToken ct = default) => Never<ValueTask<IReadOnlyList<Store.AckResult>>>();
        public ValueTask<IReadOnlyList<Store.LeaseExtendResult>> ExtendMany(IReadOnlyList<Store.LeaseExtendParams> i, CancellationToken ct = default) => Never<ValueTask<IReadOnlyList<Store.LeaseExtendResult>>>();
        public ValueTask<IReadOnlyList<Store.AckResult>> ReleaseMany(IReadOnlyList<Store.TaskReleaseParams> i, CancellationToken ct = default) => Never<ValueTask<IReadOnlyList<Store.AckResult>>>();
        public ValueTask<Store.WorkerHeartbeatResult> WorkerHeartbeat(Store.WorkerInfo w, CancellationToken ct = default) => Never<ValueTask<Store.WorkerHeartbeatResult>>();
        public ValueTask WorkerRemove(string id, CancellationToken ct = default) => Never<ValueTask>();
    }
}
