using Conveyor.Redis;
using Conveyor.Store;
using Microsoft.Extensions.Time.Testing;

namespace Conveyor.Stores.Tests.Redis;

/// <summary>
/// The store contract suite on a real standalone redis-server with
/// <see cref="RedisStoreOptions.RepliesOnThreadPool"/> on (what <c>conveyor server</c> and
/// <c>conveyor bench</c> use): replies and wake-ups read on the .NET thread pool must keep every rule.
/// </summary>
public sealed class RedisThreadPoolRepliesConformanceTests(RedisServerFixture redis) : TaskStoreConformanceTests, IClassFixture<RedisServerFixture>
{
    protected override TimeSpan TimePrecision => TimeSpan.FromMilliseconds(1);

    private string prefix = "";

    protected override async ValueTask<ITaskStore> CreateStore(FakeTimeProvider time)
    {
        prefix = "p" + Guid.NewGuid().ToString("N")[..12];
        return await Open(time);
    }

    protected override async ValueTask<ITaskStore?> ReopenStore(FakeTimeProvider time) => await Open(time);

    private async Task<ITaskStore> Open(FakeTimeProvider time) => await RedisTaskStore.ConnectAsync(new RedisStoreOptions
    {
        ConnectionString = redis.ConnectionString, KeyPrefix = prefix, TimeProvider = time, RepliesOnThreadPool = true,
    });
}
