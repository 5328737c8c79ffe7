using System.Collections.Concurrent;
using Conveyor.Store;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using RabbitMQ.Client;

namespace Conveyor.RabbitMq;

/// <summary>
/// Delivery through RabbitMQ, paired with a records store that is the fence (docs/rabbitmq.md). One
/// durable classic queue per Conveyor queue with <c>x-max-priority</c> 9 (priorities 0..9: Debian's
/// RabbitMQ 3.10 gives quorum queues no priorities); a message is a task id, persistent, with the task's
/// priority. The delivery contract, decided here:
/// <list type="bullet">
/// <item>A task is written to the records first and is in their outbox in the same write; it is then
/// published and the submission answered only after RabbitMQ confirmed it. A crash in between leaves it
/// in the outbox, which the next sweep publishes (at most a duplicate message, never a lost task).</item>
/// <item>A consumed message is acknowledged to RabbitMQ only after the records wrote the lease
/// (<see cref="IOutboxRecords.TaskLeaseByIds"/>); a crash in between leaves it unacknowledged, and
/// RabbitMQ hands it out again. A message whose task is not ready (cancelled, deleted, a duplicate) is spent.</item>
/// <item>The lease is a record: its token and deadline live in the records, never a delivery tag, so a
/// lease that expires is reclaimed by the records' maintenance as a failed attempt and retried.</item>
/// <item>Delays and retries wait in the records (scheduled) and are published when due, without plugins.</item>
/// <item>Limits and expiry are decided by the records in the same lease by id: a task over a limit is
/// parked there and its message acknowledged, then published again (a fresh seq) when the limit frees; an
/// expired task's message is spent.</item>
/// </list>
/// </summary>
public sealed partial class RabbitMqTaskDelivery : ITaskDelivery
{
    private readonly IConnection _connection;
    private readonly IOutboxRecords _records;
    private readonly RabbitMqStoreOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _log;
    private readonly ConcurrentDictionary<string, Task> _declared = new(StringComparer.Ordinal);
    private readonly ConcurrentBag<IChannel> _idleChannels = [];
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _publishLocks = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _closing = new();
    private readonly IDisposable _events;

    private RabbitMqTaskDelivery(IConnection connection, IOutboxRecords records, RabbitMqStoreOptions options)
    {
        _connection = connection;
        _records = records;
        _options = options;
        _time = options.TimeProvider;
        _log = (options.LoggerFactory ?? NullLoggerFactory.Instance).CreateLogger("Conveyor.RabbitMq");
        _events = records.EventsSubscribe(OnRecordEvent);
    }

    /// <summary>Connects to RabbitMQ (recovering the connection by itself after a broker restart).</summary>
    public static async Task<RabbitMqTaskDelivery> ConnectAsync(RabbitMqStoreOptions options, IOutboxRecords records, CancellationToken ct = default)
    {
        var factory = new ConnectionFactory
        {
            Uri = options.AmqpUri,
            AutomaticRecoveryEnabled = true,
            TopologyRecoveryEnabled = true,
            NetworkRecoveryInterval = TimeSpan.FromSeconds(1),
            ClientProvidedName = "conveyor",
        };
        var connection = await factory.CreateConnectionAsync(ct).ConfigureAwait(false);
        return new RabbitMqTaskDelivery(connection, records, options);
    }

    public string Name => "rabbitmq";

    public async ValueTask<bool> Ping(CancellationToken ct = default)
    {
        if (!_connection.IsOpen) return false;
        try
        {
            var ch = await Rent(ct).ConfigureAwait(false);
            Return(ch);
            return true;
        }
        catch (Exception e) when (e is not OperationCanceledException) { return false; }
    }

    public async ValueTask<StoreReadiness> StoreReadinessCheck(CancellationToken ct = default) =>
        await Ping(ct).ConfigureAwait(false) ? StoreReadiness.Ready : StoreReadiness.Unreachable($"RabbitMQ at {_options.AmqpUri.Host}:{_options.AmqpUri.Port} did not answer");

    /// <summary>The RabbitMQ queue a Conveyor queue is delivered through.</summary>
    internal string QueueName(string queue) => _options.QueuePrefix + queue;

    /// <summary>Declares the queue once per process: durable, classic, priorities 0..9.</summary>
    private async Task Declare(string queue)
    {
        var declaring = _declared.GetOrAdd(queue, DeclareNow);
        try { await declaring.ConfigureAwait(false); }
        catch
        {
            _declared.TryRemove(new(queue, declaring)); // the next call tries again
            throw;
        }
    }

    private async Task DeclareNow(string queue)
    {
        var ch = await Rent(CancellationToken.None).ConfigureAwait(false);
        try
        {
            await ch.QueueDeclareAsync(QueueName(queue), durable: true, exclusive: false, autoDelete: false, arguments: new Dictionary<string, object?>
            {
                ["x-queue-type"] = "classic",
                ["x-max-priority"] = 9,
            }).ConfigureAwait(false);
            Return(ch);
        }
        catch
        {
            await Discard(ch).ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>A channel with publisher confirms on, from the idle ones or new.</summary>
    private async Task<IChannel> Rent(CancellationToken ct)
    {
        while (_idleChannels.TryTake(out var ch))
            if (ch.IsOpen) return ch;
            else await Discard(ch).ConfigureAwait(false);
        try
        {
            return await _connection.CreateChannelAsync(new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true), ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException && !_connection.IsOpen)
        {
            // debt: RabbitMQ down (its connection recovering): nothing was sent, the caller retries (503).
            throw new StoreUnreachableException($"RabbitMQ at {_options.AmqpUri.Host}:{_options.AmqpUri.Port} is unreachable ({e.Message})", outcomeUnknown: false, e);
        }
    }

    private void Return(IChannel ch)
    {
        if (ch.IsOpen && _idleChannels.Count < 32) _idleChannels.Add(ch);
        else _ = Discard(ch);
    }

    /// <summary>Closing a channel hands every message it holds unacknowledged back to its queue.</summary>
    private static async Task Discard(IChannel ch)
    {
        try { if (ch.IsOpen) await ch.CloseAsync().ConfigureAwait(false); }
        catch (Exception) { /* already gone: RabbitMQ requeues its unacked messages either way */ }
        ch.Dispose();
    }

    public async ValueTask DisposeAsync()
    {
        await _closing.CancelAsync().ConfigureAwait(false);
        _events.Dispose();
        while (_idleChannels.TryTake(out var ch)) await Discard(ch).ConfigureAwait(false);
        try { await _connection.CloseAsync().ConfigureAwait(false); } catch (Exception) { /* closing anyway */ }
        _connection.Dispose();
        _closing.Dispose();
    }
}
