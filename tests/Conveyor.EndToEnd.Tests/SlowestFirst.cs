using Xunit;
using Xunit.Abstractions;

[assembly: TestCollectionOrderer("Conveyor.EndToEnd.Tests.SlowestFirst", "Conveyor.EndToEnd.Tests")]

namespace Conveyor.EndToEnd.Tests;

/// <summary>
/// Starts the slowest test classes first. The collections run three at a time (xunit.runner.json) in
/// the order this gives, so a class of several minutes that happened to start last would run on alone
/// at the end (the test run's tail); started first, it runs beside the many short ones. Only the order
/// changes: every collection still runs, and one not listed here runs after these in xunit's order.
/// </summary>
public sealed class SlowestFirst : ITestCollectionOrderer
{
    // Seconds of test time per class in one run of this project on 2 cores (2026-12-01, at a load
    // of 2 to 20), slowest first: ClockSkew 215, WorkerBrokerPartition 141, RedisFault 98,
    // RetentionSoak 95, ScheduleCli 81, DelayedBacklogMemory 80, ThreeBrokerSchedule 73,
    // SqliteSeveralProcesses 68, RandomKillCycles 46, BenchRedis 44, RedisClusterOfProcesses 44,
    // RabbitMqLimitsProcess 43, Sigstop 42, RabbitMqFault 37.
    private static readonly string[] Slowest =
    [
        ".Faults.ClockSkewTests", ".Faults.WorkerBrokerPartitionTests", ".Faults.RedisFaultTests",
        ".RetentionSoakTests", ".Schedules.ScheduleCliTests", ".Faults.DelayedBacklogMemoryTests",
        ".Schedules.ThreeBrokerScheduleTests", ".Ops.SqliteSeveralProcessesTests", ".Faults.RandomKillCyclesTests",
        ".BenchRedisTests", ".RedisClusterOfProcessesTests", ".RabbitMq.RabbitMqLimitsProcessTests",
        ".Faults.SigstopTests", ".Faults.RabbitMqFaultTests",
    ];

    public IEnumerable<ITestCollection> OrderTestCollections(IEnumerable<ITestCollection> testCollections) =>
        testCollections.OrderBy(Rank).ThenBy(c => c.DisplayName, StringComparer.Ordinal);

    private static int Rank(ITestCollection collection)
    {
        for (var i = 0; i < Slowest.Length; i++)
            if (collection.DisplayName.EndsWith(Slowest[i], StringComparison.Ordinal)) return i;
        return Slowest.Length;
    }
}
