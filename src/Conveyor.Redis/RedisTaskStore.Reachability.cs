using System.Collections.Concurrent;
using System.Net;
using Conveyor.Store;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace Conveyor.Redis;

/// <summary>
/// Redis that does not answer is an expected condition, not a bug: one warning line when an endpoint
/// becomes unreachable (at start, or later), nothing while the client retries, one line when it
/// connects. Until then every command fails at once (<see cref="BacklogPolicy.FailFast"/>), so the
/// server answers 503 promptly and <c>/readyz</c> says why.
/// </summary>
public sealed partial class RedisTaskStore
{
    private readonly ConcurrentDictionary<string, bool> _unreachable = new(StringComparer.Ordinal);

    /// <summary>At start, when no endpoint answered yet: the first line of the episode.</summary>
    private void UnreachableAtStart(string target)
    {
        if (_mux.IsConnected) return;
        if (_unreachable.TryAdd(target, true))
            _logger.LogWarning("the store is unreachable: Redis {Endpoint} does not answer; Conveyor keeps trying in the background until it connects (meanwhile a broker's /readyz and API calls answer 503)", target);
    }

    private void EndpointFailed(EndPoint? endpoint, ConnectionType type, ConnectionFailureType failure)
    {
        if (type != ConnectionType.Interactive) return;
        var name = EndpointName(endpoint);
        if (_unreachable.TryAdd(name, true))
            _logger.LogWarning("the store is unreachable: Redis {Endpoint} connection {Failure}; Conveyor keeps trying in the background until it connects (meanwhile a broker's /readyz and API calls answer 503)", name, failure);
    }

    /// <summary>True when this reconnect ends an episode that was logged (so the caller logs once).</summary>
    private bool EndpointRestored(EndPoint? endpoint, ConnectionType type)
    {
        if (type != ConnectionType.Interactive) return false;
        // Any endpoint's line from start (named by the configuration) ends with the first connection too.
        var ended = _unreachable.TryRemove(EndpointName(endpoint), out _);
        foreach (var key in _unreachable.Keys)
            if (_mux.IsConnected && !_mux.GetServers().Any(s => EndpointName(s.EndPoint) == key && !s.IsConnected))
                ended |= _unreachable.TryRemove(key, out _);
        return ended;
    }

    private TaskCompletionSource _reconnected = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Until the next reconnect, at most <paramref name="max"/> and at most 250 ms (a reconnect whose commands still fail is looked at again).</summary>
    private async Task WaitReconnected(TimeSpan max, CancellationToken ct)
    {
        var wait = max < TimeSpan.FromMilliseconds(250) ? max : TimeSpan.FromMilliseconds(250);
        if (wait <= TimeSpan.Zero) return;
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct, _closing.Token);
        await Task.WhenAny(Volatile.Read(ref _reconnected).Task, Task.Delay(wait, _time, stop.Token)).ConfigureAwait(false);
        await stop.CancelAsync().ConfigureAwait(false);
        ct.ThrowIfCancellationRequested();
    }

    private void Reconnected() =>
        Interlocked.Exchange(ref _reconnected, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();

    /// <summary>First connection after a start without Redis: what <see cref="ConnectAsync"/> would have done.</summary>
    private async Task FirstConnected()
    {
        await _scripts.Preload().ConfigureAwait(false);
        var readiness = await EvictionPolicyCheck().ConfigureAwait(false);
        if (readiness.Condition == StoreCondition.EvictionPolicy)
            _logger.LogError("{Detail}; /readyz answers 503 until it is", readiness.Detail);
        _events.Resubscribe();
    }

    internal static string EndpointName(EndPoint? endpoint) => endpoint switch
    {
        null => "?",
        DnsEndPoint d => $"{d.Host}:{d.Port}",
        _ => endpoint.ToString() ?? "?",
    };
}
