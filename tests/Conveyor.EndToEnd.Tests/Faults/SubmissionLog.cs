using System.Collections.Concurrent;
using System.Net.Sockets;
using Conveyor.Client;
using Conveyor.Model;

namespace Conveyor.EndToEnd.Tests.Faults;

/// <summary>
/// The producers' half of a history: submits through a real client, stamps each task with a unique
/// <c>mark</c> in its metadata, and records what the broker answered. Thread-safe.
/// </summary>
public sealed class SubmissionLog
{
    public const string MarkKey = "mark";

    private readonly ConcurrentQueue<Submission> _all = new();
    private readonly string _prefix = Guid.NewGuid().ToString("N")[..6];
    private long _next;

    public IReadOnlyCollection<Submission> All => _all;

    public IEnumerable<string> AcknowledgedIds => _all.Where(s => s.Outcome == SubmitOutcome.Acknowledged).Select(s => s.TaskId!);

    public int Count(SubmitOutcome outcome) => _all.Count(s => s.Outcome == outcome);

    /// <summary>The last problem a refusal carried (for assertions on its status and type).</summary>
    public ConveyorApiException? LastProblem { get; private set; }

    /// <summary>Submits one batch; returns true when it was acknowledged. Never throws for a broker's refusal or a lost connection.</summary>
    public async Task<bool> SubmitMany(ConveyorClient client, IReadOnlyList<TaskSubmission> batch, CancellationToken ct = default)
    {
        var marks = batch.Select(_ => $"{_prefix}-{Interlocked.Increment(ref _next)}").ToList();
        var stamped = batch.Select((s, i) => s with
        {
            Metadata = new Dictionary<string, string>(s.Metadata ?? new Dictionary<string, string>()) { [MarkKey] = marks[i] },
        }).ToList();
        try
        {
            var results = await client.SubmitMany(stamped, ct).ConfigureAwait(false);
            for (var i = 0; i < results.Count; i++) _all.Enqueue(new Submission(marks[i], SubmitOutcome.Acknowledged, results[i].Task.Id));
            return true;
        }
        catch (ConveyorApiException e)
        {
            LastProblem = e;
            // 4xx, 503 (store away) and 507 (no room) promise nothing was stored; a 500 promises nothing at all.
            var outcome = e.Status is < 500 or 503 or 507 ? SubmitOutcome.Refused : SubmitOutcome.Unknown;
            foreach (var m in marks) _all.Enqueue(new Submission(m, outcome));
            return false;
        }
        catch (HttpRequestException e) when (e.InnerException is SocketException { SocketErrorCode: SocketError.ConnectionRefused })
        {
            foreach (var m in marks) _all.Enqueue(new Submission(m, SubmitOutcome.Refused)); // nothing was sent
            return false;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or IOException)
        {
            foreach (var m in marks) _all.Enqueue(new Submission(m, SubmitOutcome.Unknown));
            return false;
        }
    }
}
