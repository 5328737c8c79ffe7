using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Conveyor.Engine;
using Conveyor.Model;

namespace Conveyor.Limits;

/// <summary>
/// A flow-control limit on one queue, enforced by the store at lease time across every worker and
/// broker: at most <see cref="Concurrency"/> tasks running at once, and/or at most <see cref="Rate"/>
/// started per <see cref="Interval"/> (a fixed window that opens at the first start after the last
/// one closed). Without <see cref="Key"/> the limit counts the whole queue; with one, it counts each
/// value of the key apart (<c>metadata.tenant</c>: at most N per tenant). A task over a limit waits,
/// pending: it is neither failed nor leased, and it is leased once a slot frees or the window reopens.
/// </summary>
/// <param name="Name">The limit's name within its queue, as a queue name (<c>[a-z0-9][a-z0-9._-]{0,63}</c>).</param>
/// <param name="Key">
/// Where a task's key value comes from: <c>metadata.&lt;name&gt;</c> (a metadata entry) or
/// <c>args.&lt;field&gt;</c> (a top-level field of object args; a string as is, any other JSON value
/// as its text). A task without that value is not counted by this limit. Null: the whole queue.
/// </param>
public sealed partial record QueueLimit(string Name, string? Key = null, int? Concurrency = null, int? Rate = null, TimeSpan? Interval = null)
{
    public const int MaxLimitsPerQueue = 8;
    public const int MaxCount = 1_000_000;
    public static readonly TimeSpan MinInterval = TimeSpan.FromMilliseconds(1);
    public static readonly TimeSpan MaxInterval = TimeSpan.FromDays(1);
    private const string MetadataPrefix = "metadata.";
    private const string ArgsPrefix = "args.";

    /// <summary>Every problem with this limit, in words a user can act on; empty when valid.</summary>
    public IReadOnlyList<ValidationError> Validate()
    {
        var errors = new List<ValidationError>();
        if (!Names.IsValidQueue(Name)) errors.Add(new("name", $"a limit name is 1 to 64 characters of a-z, 0-9, '.', '_', '-', starting with a letter or digit; got '{Name}'"));
        if (Key is not null && KeyField(Key) is null)
            errors.Add(new("key", $"key must be metadata.<name> or args.<field> (1 to 64 characters of [A-Za-z0-9_.-] after the dot); got '{Key}'"));
        if (Concurrency is null && Rate is null) errors.Add(new("concurrency", "give concurrency, or rate with interval, or both"));
        if (Concurrency is { } c && (c < 1 || c > MaxCount)) errors.Add(new("concurrency", $"concurrency must be between 1 and {MaxCount}; got {c}"));
        if (Rate is { } r && (r < 1 || r > MaxCount)) errors.Add(new("rate", $"rate must be between 1 and {MaxCount}; got {r}"));
        if (Rate is not null && Interval is null) errors.Add(new("interval", "a rate needs an interval (e.g. 1s, 1m)"));
        if (Rate is null && Interval is not null) errors.Add(new("rate", "an interval needs a rate"));
        if (Interval is { } i && (i < MinInterval || i > MaxInterval))
            errors.Add(new("interval", $"interval must be between 1 ms and {MaxInterval.TotalSeconds} seconds; got {i.TotalSeconds}"));
        return errors;
    }

    /// <summary>This limit, or <see cref="ConveyorValidationException"/> listing every problem.</summary>
    public QueueLimit Validated()
    {
        var errors = Validate();
        return errors.Count > 0 ? throw new ConveyorValidationException(errors) : this;
    }

    /// <summary>The interval in whole milliseconds (what both stores count windows in).</summary>
    public long IntervalMs => Interval is { } i ? (long)Math.Round(i.TotalMilliseconds) : 0;

    /// <summary>
    /// The task's value of <see cref="Key"/>: "" for a queue-wide limit, null when the task has no
    /// such value (the limit does not count it).
    /// </summary>
    public string? KeyOf(TaskRecord task) => KeyOf(Key, task.Metadata, task.Args);

    public static string? KeyOf(string? key, IReadOnlyDictionary<string, string> metadata, JsonElement args)
    {
        if (key is null) return "";
        if (key.StartsWith(MetadataPrefix, StringComparison.Ordinal))
            return metadata.TryGetValue(key[MetadataPrefix.Length..], out var v) ? v : null;
        if (args.ValueKind != JsonValueKind.Object || !args.TryGetProperty(key[ArgsPrefix.Length..], out var f)) return null;
        return f.ValueKind switch
        {
            JsonValueKind.String => f.GetString(),
            JsonValueKind.Null or JsonValueKind.Undefined => null,
            _ => f.GetRawText(),
        };
    }

    /// <summary>The field name after <c>metadata.</c> or <c>args.</c>, or null when the key is not one of those.</summary>
    public static string? KeyField(string key)
    {
        var field = key.StartsWith(MetadataPrefix, StringComparison.Ordinal) ? key[MetadataPrefix.Length..]
            : key.StartsWith(ArgsPrefix, StringComparison.Ordinal) ? key[ArgsPrefix.Length..] : null;
        return field is not null && FieldRegex().IsMatch(field) ? field : null;
    }

    public override string ToString()
    {
        var parts = new List<string>();
        if (Concurrency is { } c) parts.Add(string.Create(CultureInfo.InvariantCulture, $"{c} running"));
        if (Rate is { } r) parts.Add(string.Create(CultureInfo.InvariantCulture, $"{r} per {(Interval ?? TimeSpan.Zero).TotalSeconds}s"));
        return $"{Name}: at most {string.Join(", ", parts)}{(Key is null ? " in the queue" : " per " + Key)}";
    }

    [GeneratedRegex("^[A-Za-z0-9_.-]{1,64}$")]
    private static partial Regex FieldRegex();
}
