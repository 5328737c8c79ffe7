using System.Collections.Concurrent;
using Conveyor.Engine;
using Conveyor.Model;
using Conveyor.Store;

namespace Conveyor.Server.Observability;

/// <summary>
/// Per-queue throughput over the last minute (succeeded and dead tasks), counted from the store's
/// state-change events as this server sees them: 60 one-second buckets per queue, no store query.
/// With several servers on one store each reports the transitions its store subscription delivers.
/// </summary>
internal sealed class QueueRates : IDisposable
{
    private const int Window = 60;
    private readonly TimeProvider time;
    private readonly ConcurrentDictionary<string, Buckets> queues = new(StringComparer.Ordinal);
    private readonly IDisposable subscription;

    public QueueRates(TaskEngine engine, TimeProvider time)
    {
        this.time = time;
        subscription = engine.EventsSubscribe(OnEvent);
    }

    /// <summary>(succeeded, failed) in the last 60 seconds.</summary>
    public (long Succeeded, long Failed) PerMinute(string queue) =>
        queues.TryGetValue(queue, out var b) ? b.Sum(time.GetUtcNow().ToUnixTimeSeconds()) : (0, 0);

    private void OnEvent(TaskEvent e)
    {
        if (e.State is not (TaskState.Succeeded or TaskState.Failed)) return;
        queues.GetOrAdd(e.Queue, _ => new Buckets()).Add(time.GetUtcNow().ToUnixTimeSeconds(), e.State == TaskState.Succeeded);
    }

    public void Dispose() => subscription.Dispose();

    private sealed class Buckets
    {
        private readonly long[] stamp = new long[Window];
        private readonly long[] succeeded = new long[Window];
        private readonly long[] failed = new long[Window];

        public void Add(long second, bool ok)
        {
            lock (this)
            {
                var i = (int)(second % Window);
                if (stamp[i] != second) { stamp[i] = second; succeeded[i] = 0; failed[i] = 0; }
                if (ok) succeeded[i]++; else failed[i]++;
            }
        }

        public (long, long) Sum(long now)
        {
            lock (this)
            {
                long s = 0, f = 0;
                for (var i = 0; i < Window; i++)
                    if (now - stamp[i] < Window) { s += succeeded[i]; f += failed[i]; }
                return (s, f);
            }
        }
    }
}
