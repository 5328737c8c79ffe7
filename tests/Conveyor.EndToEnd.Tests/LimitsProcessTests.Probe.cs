using System.Collections.Concurrent;
using System.Globalization;
using StackExchange.Redis;

namespace Conveyor.EndToEnd.Tests;

public partial class LimitsProcessTests
{
    /// <summary>
    /// The running-count probe: the queue's state-change events (<c>&lt;prefix&gt;:{q:&lt;queue&gt;}:ev</c>, one
    /// message per script call, published by the scripts themselves) on a real subscription to the test's
    /// redis-server. Redis runs one script at a time and delivers a channel's messages in the order they
    /// were published, so the order of the messages is the order in which the scripts took and gave back
    /// the slots: no clock of any process is involved.
    /// </summary>
    private sealed class SlotProbe : IAsyncDisposable
    {
        private readonly ConnectionMultiplexer _mux;
        private readonly ConcurrentQueue<Event> _events = new();

        private SlotProbe(ConnectionMultiplexer mux) => _mux = mux;

        /// <summary>One state change: the task, its new state, and the "now" its script was given (ms).</summary>
        public readonly record struct Event(string TaskId, string State, long NowMs);

        public static async Task<SlotProbe> Subscribe(RedisServer redis, string queue)
        {
            var probe = new SlotProbe(await ConnectionMultiplexer.ConnectAsync($"{redis.Host}:{redis.Port}"));
            var channel = await probe._mux.GetSubscriber().SubscribeAsync(RedisChannel.Literal($"conveyor:{{q:{queue}}}:ev"));
            channel.OnMessage(m => // ChannelMessageQueue.OnMessage: one message at a time, in order
            {
                foreach (var line in ((string)m.Message!).Split('\n'))
                {
                    var f = line.Split('\t'); // id, queue, type, state, now (ev_add in Lua/Lib.lua)
                    if (f.Length == 5) probe._events.Enqueue(new Event(f[0], f[3], long.Parse(f[4], CultureInfo.InvariantCulture)));
                }
            });
            return probe;
        }

        public IReadOnlyList<Event> Events => [.. _events];

        /// <summary>Tasks whose last event so far ends their run (succeeded, failed or dead).</summary>
        public int Finished(Func<string, bool> terminal) =>
            Events.GroupBy(e => e.TaskId).Count(g => terminal(g.Last().State));

        public ValueTask DisposeAsync() => _mux.DisposeAsync();
    }

    /// <summary>
    /// Per group, the most tasks holding a slot at once, replaying the events in order: a task holds one
    /// from its "running" event (the lease) to its next event (its ack, failure, release or lease expiry).
    /// Also the largest inversion of the recorded clocks: how far before an earlier give-back's "now" a later
    /// lease of the same group read its own (what an interval probe on those times must tolerate).
    /// </summary>
    private static (Dictionary<string, int> Most, int Overall, long InversionMs) MostHolding(IReadOnlyList<SlotProbe.Event> events, Func<string, string?> group)
    {
        var holding = new Dictionary<string, int>();
        var lastGiveBack = new Dictionary<string, long>();
        var most = new Dictionary<string, int>();
        var running = new HashSet<string>();
        int all = 0, overall = 0;
        long inversion = 0;
        foreach (var e in events)
        {
            if (group(e.TaskId) is not { } g) continue;
            if (e.State == "running")
            {
                if (!running.Add(e.TaskId)) continue;
                holding[g] = holding.GetValueOrDefault(g) + 1;
                most[g] = Math.Max(most.GetValueOrDefault(g), holding[g]);
                overall = Math.Max(overall, ++all);
                if (lastGiveBack.TryGetValue(g, out var freed)) inversion = Math.Max(inversion, freed - e.NowMs);
            }
            else if (running.Remove(e.TaskId))
            {
                holding[g]--;
                all--;
                lastGiveBack[g] = Math.Max(lastGiveBack.GetValueOrDefault(g, long.MinValue), e.NowMs);
            }
        }
        return (most, overall, inversion);
    }
}
