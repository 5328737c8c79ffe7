using System.Text;
using Conveyor.Model;
using Conveyor.RabbitMq;
using Conveyor.Redis;
using Conveyor.Store;
using Microsoft.Extensions.Time.Testing;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;

namespace Conveyor.Stores.Tests.RabbitMq;

/// <summary>
/// What RabbitMQ delivery adds to the contract, on the real server: no two-step loss (a task recorded
/// but never published; a message consumed but never recorded), duplicates spent, the queue layout.
/// </summary>
[Collection(RabbitMqConformanceCollection.Name)]
public sealed class RabbitMqOutboxTests(RabbitMqFixture rabbit) : RabbitMqServerTests(rabbit, "o")
{
    [Fact]
    public async Task A_task_recorded_but_never_published_is_published_by_the_outbox_sweep_and_leased()
    {
        var time = NewClock();
        var task = NewTask(time);
        await using (var records = await RecordsOnly(time))
            Assert.True((await records.TaskEnqueueMany([task]))[0].Created); // the crash comes here: no publish
        await using var store = await Open(time);
        await store.MaintenanceRun(TimeSpan.FromDays(7)); // the maintenance loop's sweep
        Assert.Equal(1u, await MessagesIn(RabbitQueue));
        var leased = await LeaseOne(store);
        Assert.Equal(task.Id, leased.Task.Id);
        Assert.Equal(0u, await MessagesIn(RabbitQueue));
        Assert.Equal(0, await store.OutboxSweep()); // confirmed: nothing is published twice by the next sweep
    }

    [Fact]
    public async Task A_message_consumed_but_never_recorded_is_delivered_again()
    {
        var time = NewClock();
        await using var store = await Open(time);
        var task = await Enqueue(store, NewTask(time));
        // A consumer takes the message and dies before the lease is written (its channel closes unacknowledged).
        await using (var ch = await Amqp.CreateChannelAsync())
        {
            var got = await ch.BasicGetAsync(RabbitQueue, autoAck: false);
            Assert.Equal(task.Id, Encoding.UTF8.GetString(got!.Body.Span));
        }
        var leased = await LeaseOne(store);
        Assert.Equal(task.Id, leased.Task.Id);
        Assert.Equal(1, leased.Task.Attempt);
        // The lease is the records': its token names the queue, it is no delivery tag.
        Assert.StartsWith("default/", leased.LeaseToken, StringComparison.Ordinal);
        Assert.Equal(TaskState.Running, (await Get(store, task.Id)).State);
    }

    [Fact]
    public async Task A_duplicate_message_is_spent_and_never_leases_a_task_twice()
    {
        var time = NewClock();
        await using var store = await Open(time);
        var task = await Enqueue(store, NewTask(time));
        var first = await LeaseOne(store);
        await using (var ch = await Amqp.CreateChannelAsync())
            await ch.BasicPublishAsync("", RabbitQueue, Encoding.UTF8.GetBytes(task.Id)); // as a sweep racing a publish would
        Assert.Empty(await store.TaskLease(LeaseParams(max: 5)));
        Assert.Equal(0u, await MessagesIn(RabbitQueue)); // spent, not handed back
        Assert.Equal(AckOutcome.Ok, (await store.TaskCompleteMany([new(task.Id, first.LeaseToken, null)]))[0].Outcome);
    }

    [Fact]
    public async Task A_delayed_task_waits_in_the_records_and_reaches_RabbitMQ_when_due()
    {
        var time = NewClock();
        await using var store = await Open(time);
        var task = await Enqueue(store, NewTask(time, delay: TimeSpan.FromMinutes(5)));
        Assert.Empty(await LeaseNow(store));
        Assert.Equal(0u, await MessagesIn(RabbitQueue));
        time.Advance(TimeSpan.FromMinutes(5));
        await store.MaintenanceRun(TimeSpan.FromDays(7));
        Assert.Equal(1u, await MessagesIn(RabbitQueue));
        Assert.Equal(task.Id, (await LeaseOne(store)).Task.Id);
    }

    [Fact]
    public async Task Each_queue_is_a_durable_classic_queue_with_priorities_0_to_9()
    {
        var time = NewClock();
        await using var store = await Open(time);
        await Enqueue(store, NewTask(time));
        await using var ch = await Amqp.CreateChannelAsync();
        // Declaring it again with the same arguments is accepted; without x-max-priority RabbitMQ refuses it.
        await ch.QueueDeclareAsync(RabbitQueue, durable: true, exclusive: false, autoDelete: false,
            arguments: new Dictionary<string, object?> { ["x-queue-type"] = "classic", ["x-max-priority"] = 9 });
        await Assert.ThrowsAsync<OperationInterruptedException>(() =>
            ch.QueueDeclareAsync(RabbitQueue, durable: true, exclusive: false, autoDelete: false, arguments: null));
    }
}
