using System.Text;
using System.Text.Json;
using Conveyor.Json;
using Conveyor.Limits;
using Conveyor.Model;
using Conveyor.Sqlite.Internal;
using Conveyor.Store;
using Microsoft.Data.Sqlite;
using static Conveyor.Sqlite.Internal.TaskRows;

namespace Conveyor.Sqlite.Ops;

/// <summary>
/// Flow control in the writer: limits at lease time (TaskLease.sql's limit sections), QueueLimitSet /
/// QueueLimitDelete (QueueLimitSet.sql), and unique while active (TaskEnqueueMany.sql). A task over a
/// limit is parked (limit_wait = its slot), which takes it out of the lease's index, so no lease walks
/// it again; one goes back per slot a running task frees (a succeeded task's in TaskCompleteMany,
/// <see cref="LimitGiveBack"/>; any other exit's in the triggers of migrations 22 and 23), and a lease
/// puts back those whose rate window reopened.
/// </summary>
internal static class LimitOps
{
    /// <summary>The separator of a slot's two parts, "&lt;limit name&gt;\x1f&lt;key value&gt;" (no limit name holds it).</summary>
    public const char SlotSeparator = '\u001f';

    public static string Slot(string name, string key) => name + SlotSeparator + key;

    public static TaskRecord? UniqueHolder(WriteContext ctx, string queue, string key)
    {
        var find = ctx.Command("TaskEnqueueMany.UniqueFind");
        find.Set("$queue", queue);
        find.Set("$key", key);
        return find.ExecuteScalar() is string id ? WriterReads.TaskGet(ctx, id) : null;
    }

    public static void UniquePut(WriteContext ctx, string queue, string key, string taskId)
    {
        var put = ctx.Command("TaskEnqueueMany.UniquePut");
        put.Set("$queue", queue);
        put.Set("$key", key);
        put.Set("$task_id", taskId);
        put.ExecuteNonQuery();
    }

    /// <summary>The queue's limits; null when it has none (the common case: one lookup and nothing else).</summary>
    public static List<QueueLimit>? Load(WriteContext ctx, string queue)
    {
        var cmd = ctx.Command("TaskLease.Limits");
        cmd.Set("$queue", queue);
        string[]? texts = null;
        var n = 0;
        using (var reader = cmd.ExecuteReader())
            while (reader.Read())
            {
                if (texts is null) texts = new string[QueueLimit.MaxLimitsPerQueue];
                else if (n == texts.Length) Array.Resize(ref texts, n * 2);
                texts[n++] = reader.GetString(0);
            }
        if (texts is null) return null;
        // limits: the queue's definitions as the last lease read them, parsed, reused while the texts read
        // now are the same (the read itself is the check: a change by any process on the file is seen at
        // the next lease), so a lease parses nothing and allocates one list less.
        if (LoadedByQueue.TryGet(queue, out var last) && last.Texts.Length == n && last.Texts.AsSpan().SequenceEqual(texts.AsSpan(0, n)))
            return last.Limits;
        var limits = new List<QueueLimit>(n);
        for (var i = 0; i < n; i++) limits.Add(ParsedDefinitions.Get(texts[i], Parse));
        LoadedByQueue.Set(queue, new Loaded(texts[..n], limits));
        return limits;
    }

    private sealed record Loaded(string[] Texts, List<QueueLimit> Limits);

    // limits: per queue name (two files with one queue name compare their texts, so they cannot mix up).
    private static readonly BoundedMemo<string, Loaded> LoadedByQueue = new(StringComparer.Ordinal);

    // limits: the definitions a lease reads, parsed once per text (a QueueLimit is immutable); bounded,
    // since a definition changes only through QueueLimitSet.
    private static readonly BoundedMemo<string, QueueLimit> ParsedDefinitions = new(StringComparer.Ordinal);

    public static QueueLimit Parse(string json) =>
        JsonSerializer.Deserialize<QueueLimit>(json, ConveyorJson.Options) ?? throw new InvalidDataException("empty limit definition");

    public static string Json(QueueLimit limit) => JsonSerializer.Serialize(limit, ConveyorJson.Options);

    /// <summary>The earliest reopen time of a rate window the queue waits for, if any (for the idle leaser's timer).</summary>
    public static DateTimeOffset? NextReopen(WriteContext ctx, string queue)
    {
        var cmd = ctx.Command("TaskLease.NextReopen");
        cmd.Set("$queue", queue);
        return cmd.ExecuteScalar() is long ticks ? Time(ticks) : null;
    }

    private sealed class Usage(long running, long windowStart, long windowCount)
    {
        public long Running = running, WindowStart = windowStart, WindowCount = windowCount;
        public long? ReopenAt;
        public bool Dirty;
    }

    /// <summary>
    /// Leases up to <paramref name="want"/> tasks of a queue with limits, in line order, each within
    /// every limit; those over one are parked. Returns the rowids leased and, per rowid, the slots held.
    /// </summary>
    /// <param name="heldInSql">
    /// limits: set when the slots a task holds follow from its row alone (the queue's one concurrency
    /// limit is keyed on the metadata field the pick reads, <c>metadata -&gt;&gt; Path</c>): the lease then
    /// writes them in SQL (TaskLease.LeaseLimitedKey) and the Held of each pick is null.
    /// </param>
    public static List<(long RowId, string? Held)> Pick(WriteContext ctx, string queue, List<QueueLimit> limits, int want, DateTimeOffset now,
        out (string Path, string Name)? heldInSql)
    {
        heldInSql = null;
        var nowTicks = Ticks(now);
        // limits: keyed by (limit name, key value), so that a lookup per task builds no slot string.
        var usage = new Dictionary<(string Name, string Key), Usage>();
        Usage Get(QueueLimit l, string key)
        {
            var slot = (l.Name, key);
            if (usage.TryGetValue(slot, out var u)) return u;
            var cmd = ctx.Command("TaskLease.Usage");
            cmd.Set("$queue", queue);
            cmd.Set("$name", l.Name);
            cmd.Set("$key", key);
            using (var r = cmd.ExecuteReader())
                u = r.Read() ? new Usage(r.GetInt64(0), r.GetInt64(1), r.GetInt64(2)) : new Usage(0, 0, 0);
            return usage[slot] = Fresh(l, u);
        }
        // A window that has closed starts afresh at the next start.
        Usage Fresh(QueueLimit l, Usage u)
        {
            if (l.Rate is not null && nowTicks >= u.WindowStart + l.IntervalMs * TimeSpan.TicksPerMillisecond) { u.WindowStart = nowTicks; u.WindowCount = 0; }
            return u;
        }
        // Over the limit for this key: null when there is room, else the time its window reopens
        // (long.MaxValue: a concurrency limit, which reopens when a running task ends).
        long? Blocked(QueueLimit l, Usage u)
        {
            if (l.Concurrency is { } c && u.Running >= c) return long.MaxValue;
            if (l.Rate is { } rate && u.WindowCount >= rate) return u.WindowStart + l.IntervalMs * TimeSpan.TicksPerMillisecond;
            return null;
        }

        // Only a rate limit has windows to reopen (QueueLimitSet forgets them when a limit loses its rate).
        if (limits.Exists(static l => l.Rate is not null)) Reopen(ctx, queue, limits, nowTicks);

        // Queue-wide limits bound the whole lease; nothing is parked for them (every task would be).
        var budget = want;
        foreach (var l in limits)
        {
            if (l.Key is not null) continue;
            var u = Get(l, "");
            var room = int.MaxValue;
            if (l.Concurrency is { } c) room = (int)Math.Min(room, c - u.Running);
            if (l.Rate is { } rate) room = (int)Math.Min(room, rate - u.WindowCount);
            if (room <= 0 && Blocked(l, u) is { } until && until != long.MaxValue) { u.ReopenAt = until; u.Dirty = true; }
            budget = Math.Min(budget, Math.Max(room, 0));
        }

        var picked = new List<(long, string?)>();
        var keyed = limits.Where(l => l.Key is not null).ToList();
        var usesArgs = keyed.Exists(l => l.Key!.StartsWith("args.", StringComparison.Ordinal));
        // limits: when every keyed limit reads one and the same metadata field (per tenant, say), the pick
        // extracts its value in SQL (TaskLease.PickLimitedKey), so the lease neither reads a candidate's
        // metadata text nor parses it.
        var keyPath = usesArgs ? null : OneMetadataPath(keyed);
        if (keyPath is not null && OneConcurrency(limits) is { Key: not null } counted) heldInSql = (keyPath, counted.Name);
        var heldByPick = heldInSql is null;
        Dictionary<string, IReadOnlyDictionary<string, string>>? parsedMetadata = null; // limits: only when the pick reads metadata texts
        IReadOnlyDictionary<string, string> Metadata(string? json) => json is null ? TaskRecord.EmptyMetadata
            : (parsedMetadata ??= new(StringComparer.Ordinal)).TryGetValue(json, out var known) ? known
            : parsedMetadata[json] = MetadataJson.Parse(json);
        // limits: the usage rows of every metadata key the candidates count in, read in one statement
        // (TaskLease.UsageMany) instead of one Usage read per slot; a key read from args is read by Get.
        void Prefetch(List<(long RowId, string? Metadata, string Args, string? Key)> candidates)
        {
            var missing = new Dictionary<(string Name, string Key), (QueueLimit Limit, string Key)>();
            foreach (var c in candidates)
            {
                var metadata = keyPath is null ? Metadata(c.Metadata) : TaskRecord.EmptyMetadata;
                foreach (var l in keyed)
                    if (l.Key!.StartsWith("metadata.", StringComparison.Ordinal) && (keyPath is null ? QueueLimit.KeyOf(l.Key, metadata, default) : c.Key) is { } key
                        && (l.Name, key) is var slot && !usage.ContainsKey(slot))
                        missing.TryAdd(slot, (l, key));
            }
            if (missing.Count < 2) return; // Get reads one alone as cheaply
            var json = new System.Buffers.ArrayBufferWriter<byte>(missing.Count * 32);
            using (var w = new Utf8JsonWriter(json))
            {
                w.WriteStartArray();
                foreach (var (l, key) in missing.Values) { w.WriteStartArray(); w.WriteStringValue(l.Name); w.WriteStringValue(key); w.WriteEndArray(); }
                w.WriteEndArray();
            }
            var cmd = ctx.Command("TaskLease.UsageMany");
            cmd.Set("$queue", queue);
            cmd.Set("$slots", Encoding.UTF8.GetString(json.WrittenSpan));
            var found = new Dictionary<(string Name, string Key), Usage>();
            using (var r = cmd.ExecuteReader())
                while (r.Read()) found[(r.GetString(0), r.GetString(1))] = new Usage(r.GetInt64(2), r.GetInt64(3), r.GetInt64(4));
            foreach (var (slot, (l, _)) in missing)
            {
                usage[slot] = Fresh(l, found.GetValueOrDefault(slot) ?? new Usage(0, 0, 0));
            }
        }
        // limits: a pass reads as many tasks as it still needs (16 more once one was parked, as another
        // may be); a picked task stays pending (in line) until the lease's UPDATE, so a later pass skips
        // the ones already read, and a pass that read the whole line is the last. A pass that read every
        // task again counted the picked ones twice (the lease asked for more than the queue held).
        var read = 0;
        var parkedAny = false;
        var held = new List<(string Name, string Key)>(limits.Count); // limits: one pair of lists per call, cleared per task
        var slots = new List<(QueueLimit Limit, string Key, Usage Usage)>(limits.Count);
        while (picked.Count < budget && read < TaskDefaults.MaxLeaseBatch)
        {
            var need = budget - picked.Count;
            var cmd = ctx.Command(keyPath is null ? "TaskLease.PickLimited" : "TaskLease.PickLimitedKey");
            cmd.Set("$queue", queue);
            if (keyPath is not null) { cmd.Set("$path", keyPath); cmd.Set("$name", keyed[0].Name); }
            var n = Math.Min(TaskDefaults.MaxLeaseBatch, picked.Count + need + (parkedAny ? 16 : 0));
            var candidates = new List<(long RowId, string? Metadata, string Args, string? Key)>(n - picked.Count);
            var rows = 0;
            using (var r = cmd.ExecuteReader())
                while (rows < n && r.Read())
                    if (rows++ >= picked.Count)
                    {
                        if (keyPath is null)
                        {
                            candidates.Add((r.GetInt64(0), r.IsDBNull(1) ? null : r.GetString(1), usesArgs ? r.GetString(2) : "", null)); // args only when a limit reads them
                            continue;
                        }
                        var key = r.IsDBNull(1) ? null : r.GetString(1);
                        candidates.Add((r.GetInt64(0), null, "", key));
                        // limits: the first keyed limit's usage row came with the candidate (PickLimitedKey's LEFT JOIN);
                        // a slot this lease already counted in keeps its count.
                        if (key is not null && !usage.ContainsKey((keyed[0].Name, key)))
                            usage[(keyed[0].Name, key)] = Fresh(keyed[0], r.IsDBNull(2) ? new Usage(0, 0, 0) : new Usage(r.GetInt64(2), r.GetInt64(3), r.GetInt64(4)));
                    }
            read = rows;
            var whole = rows < n; // the line holds no more than this
            if (candidates.Count == 0) break;
            if (keyed.Count > (keyPath is null ? 0 : 1)) Prefetch(candidates); // limits: PickLimitedKey read the first keyed limit's usage
            foreach (var (rowId, metadataJson, argsJson, pickedKey) in candidates)
            {
                if (picked.Count >= budget) break;
                held.Clear();
                slots.Clear();
                (QueueLimit Limit, string Key, Usage Usage, long Until)? block = null;
                if (keyed.Count > 0)
                {
                    // Parsed once per distinct metadata text (tasks of one tenant share it); args only when a limit reads them.
                    var metadata = keyPath is null ? Metadata(metadataJson) : TaskRecord.EmptyMetadata;
                    using var args = usesArgs ? JsonDocument.Parse(argsJson) : null;
                    foreach (var l in keyed)
                    {
                        if ((keyPath is null ? QueueLimit.KeyOf(l.Key, metadata, args?.RootElement ?? default) : pickedKey) is not { } key) continue;
                        var u = Get(l, key);
                        if (Blocked(l, u) is { } until) { block = (l, key, u, until); break; }
                        slots.Add((l, key, u));
                    }
                }
                if (block is { } b)
                {
                    var park = ctx.Command("TaskLease.Park");
                    park.Set("$rowid", rowId);
                    park.Set("$slot", Slot(b.Limit.Name, b.Key));
                    park.ExecuteNonQuery();
                    parkedAny = true;
                    if (b.Until != long.MaxValue && (b.Usage.ReopenAt is null || b.Until < b.Usage.ReopenAt)) { b.Usage.ReopenAt = b.Until; b.Usage.Dirty = true; }
                    continue;
                }
                foreach (var l in limits)
                    if (l.Key is null) slots.Add((l, "", Get(l, "")));
                foreach (var (l, key, u) in slots)
                {
                    if (l.Concurrency is not null) { u.Running++; held.Add((l.Name, key)); }
                    if (l.Rate is not null) u.WindowCount++;
                    u.Dirty = true;
                }
                string? heldText = null;
                if (!heldByPick) { } // limits: LeaseLimitedKey writes it from the row (the one keyed concurrency limit's slot)
                else if (held.Count == 1) heldText = HeldText(held[0].Name, held[0].Key);
                else if (held.Count > 1) heldText = JsonSerializer.Serialize(held.ConvertAll(h => Slot(h.Name, h.Key)));
                picked.Add((rowId, heldText));
            }
            if (whole) break;
        }

        // limits: every usage row the lease changed, written in one statement (TaskLease.UsagePutMany).
        var changed = new System.Buffers.ArrayBufferWriter<byte>(64 + usage.Count * 64);
        var dirty = 0;
        using (var w = new Utf8JsonWriter(changed))
        {
            w.WriteStartArray();
            foreach (var ((name, key), u) in usage)
            {
                if (!u.Dirty) continue;
                dirty++;
                w.WriteStartArray();
                w.WriteStringValue(name);
                w.WriteStringValue(key);
                w.WriteNumberValue(u.Running);
                w.WriteNumberValue(u.WindowStart);
                w.WriteNumberValue(u.WindowCount);
                if (u.ReopenAt is { } at) w.WriteNumberValue(at); else w.WriteNullValue();
                w.WriteEndArray();
            }
            w.WriteEndArray();
        }
        if (dirty > 0)
        {
            var put = ctx.Command("TaskLease.UsagePutMany");
            put.Set("$queue", queue);
            put.Set("$rows", Encoding.UTF8.GetString(changed.WrittenSpan));
            put.ExecuteNonQuery();
        }
        return picked;
    }

    // limits: a task's one slot -> its JSON array text, serialized once per slot for the process, not once
    // per slot per lease (the text and its Slot string were most of what an unhit limit allocated per lease);
    // bounded as ParsedDefinitions.
    private static readonly BoundedMemo<(string Name, string Key), string> HeldTexts = new();

    private static string HeldText(string name, string key) =>
        HeldTexts.Get((name, key), static slot => JsonSerializer.Serialize(new[] { Slot(slot.Name, slot.Key) }));

    /// <summary>limits: the queue's one concurrency limit, or null when it has none or several.</summary>
    private static QueueLimit? OneConcurrency(List<QueueLimit> limits)
    {
        QueueLimit? one = null;
        foreach (var l in limits)
        {
            if (l.Concurrency is null) continue;
            if (one is not null) return null;
            one = l;
        }
        return one;
    }

    /// <summary>
    /// limits: the JSON path (<c>$."field"</c>) of the one metadata field every keyed limit reads, or null
    /// when they read several, args, or a field a path could not name plainly (the pick then reads the
    /// metadata text and parses it, as before).
    /// </summary>
    private static string? OneMetadataPath(List<QueueLimit> keyed)
    {
        string? field = null;
        foreach (var l in keyed)
        {
            if (!l.Key!.StartsWith("metadata.", StringComparison.Ordinal) || QueueLimit.KeyField(l.Key) is not { } f) return null;
            if (field is not null && f != field) return null;
            field = f;
        }
        return field is null ? null : "$.\"" + field + "\"";
    }

    /// <summary>
    /// The LeaseLimited command with its $picked set: each picked rowid with the slots it counts in (a
    /// JSON array, or null), so that the lease makes a task running and writes its slots in one row
    /// write (limits: a second UPDATE of every leased row cost a quarter of W1's rate with an unhit
    /// per-tenant limit on SQLite). With <paramref name="heldInSql"/> (Pick's), LeaseLimitedKey instead:
    /// <paramref name="rowids"/> alone, each row's slot made from its metadata in SQL, no $picked text.
    /// The caller sets $worker, $now and $deadline.
    /// </summary>
    public static SqliteCommand Lease(WriteContext ctx, List<(long RowId, string? Held)> picked, (string Path, string Name)? heldInSql, string rowids)
    {
        if (heldInSql is { } h)
        {
            // limits: the rowids alone, as the plain Lease; each row's slot is made from its own metadata.
            var keyed = ctx.Command("TaskLease.LeaseLimitedKey");
            keyed.Set("$rowids", rowids);
            keyed.Set("$path", h.Path);
            keyed.Set("$name", h.Name);
            return keyed;
        }
        var json = new StringBuilder(picked.Count * 40).Append('[');
        foreach (var (rowId, held) in picked)
        {
            if (json.Length > 1) json.Append(',');
            json.Append('[').Append(rowId).Append(',').Append(held ?? "null").Append(']');
        }
        var cmd = ctx.Command("TaskLease.LeaseLimited");
        cmd.Set("$picked", json.Append(']').ToString());
        return cmd;
    }

    /// <summary>Rate windows that reopened: up to one window's worth of their parked tasks back in line.</summary>
    private static void Reopen(WriteContext ctx, string queue, List<QueueLimit> limits, long nowTicks)
    {
        var cmd = ctx.Command("TaskLease.Reopened");
        cmd.Set("$queue", queue);
        cmd.Set("$now", nowTicks);
        var reopened = new List<(string Name, string Key)>();
        using (var r = cmd.ExecuteReader())
            while (r.Read()) reopened.Add((r.GetString(0), r.GetString(1)));
        foreach (var (name, key) in reopened)
        {
            var limit = limits.FirstOrDefault(l => l.Name == name);
            var unpark = ctx.Command("TaskLease.Unpark");
            unpark.Set("$queue", queue);
            unpark.Set("$slot", Slot(name, key));
            unpark.Set("$n", limit?.Rate ?? TaskDefaults.MaxLeaseBatch);
            unpark.ExecuteNonQuery();
            // Tasks still parked wait for the window that starts now: it ends an interval from now at the soonest.
            var clear = ctx.Command("TaskLease.ReopenNext");
            clear.Set("$queue", queue);
            clear.Set("$name", name);
            clear.Set("$key", key);
            clear.Set("$slot", Slot(name, key));
            clear.Set("$next", limit?.Rate is null ? null : nowTicks + limit.IntervalMs * TimeSpan.TicksPerMillisecond);
            clear.ExecuteNonQuery();
        }
    }

    public static int QueueLimitSet(WriteContext ctx, string queue, QueueLimit limit)
    {
        var count = ctx.Command("QueueLimitSet.Count");
        count.Set("$queue", queue);
        count.Set("$name", limit.Name);
        if (Convert.ToInt64(count.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture) >= QueueLimit.MaxLimitsPerQueue)
            return -1;
        var before = ctx.Command("QueueLimitSet.Definition");
        before.Set("$queue", queue);
        before.Set("$name", limit.Name);
        // A new key means new counts: the old ones counted other values.
        if (before.ExecuteScalar() is string old && Parse(old).Key != limit.Key) UsageDelete(ctx, queue, limit.Name);
        if (limit.Rate is null)
        {
            var forget = ctx.Command("QueueLimitSet.ReopenForget");
            forget.Set("$queue", queue);
            forget.Set("$name", limit.Name);
            forget.ExecuteNonQuery();
        }
        var put = ctx.Command("QueueLimitSet.Put");
        put.Set("$queue", queue);
        put.Set("$name", limit.Name);
        put.Set("$definition", Json(limit));
        put.ExecuteNonQuery();
        UnparkAll(ctx, queue, limit.Name);
        return 1;
    }

    public static bool QueueLimitDelete(WriteContext ctx, string queue, string name)
    {
        var del = ctx.Command("QueueLimitSet.Delete");
        del.Set("$queue", queue);
        del.Set("$name", name);
        if (del.ExecuteNonQuery() == 0) return false;
        UsageDelete(ctx, queue, name);
        UnparkAll(ctx, queue, name);
        return true;
    }

    private static void UsageDelete(WriteContext ctx, string queue, string name)
    {
        var cmd = ctx.Command("QueueLimitSet.UsageDelete");
        cmd.Set("$queue", queue);
        cmd.Set("$name", name);
        cmd.ExecuteNonQuery();
    }

    private static void UnparkAll(WriteContext ctx, string queue, string name)
    {
        var cmd = ctx.Command("QueueLimitSet.UnparkAll");
        cmd.Set("$queue", queue);
        cmd.Set("$from", name + SlotSeparator);
        cmd.Set("$to", name + '\u0020');
        if (cmd.ExecuteNonQuery() > 0) ctx.Wake(queue);
    }
}
