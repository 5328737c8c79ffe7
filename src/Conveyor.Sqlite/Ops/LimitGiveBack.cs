using System.Buffers;
using System.Text;
using System.Text.Json;
using Conveyor.Sqlite.Internal;

namespace Conveyor.Sqlite.Ops;

/// <summary>
/// limits: the slots a batch of completions gives back (TaskCompleteMany.GiveBack). The schema trigger
/// limits_release gave them back once per task, an UPDATE of the usage row and a second write of the
/// task's row for each (about a fifth of W1's processed rate with an unhit per-tenant limit); a batch
/// of completions now makes one UPDATE per distinct slot, and puts back in line as many tasks parked on
/// that slot as it freed. It runs in the completion's own writer transaction (its savepoint, too), so
/// the counts stay right for every process that opens the file: each process's completions give back
/// their own slots where they commit. Every other exit from running still goes through the triggers
/// (migration 23).
/// </summary>
internal sealed class LimitGiveBack
{
    // queue -> the distinct limit_held texts of the batch and how many tasks held each: tasks of one
    // tenant share one text, so a batch parses a few of them, not one per task.
    private readonly Dictionary<string, Dictionary<string, int>> held = new(StringComparer.Ordinal);

    /// <summary>A task of <paramref name="queue"/> succeeded holding <paramref name="limitHeld"/> (its JSON array of slots).</summary>
    public void Add(string queue, string limitHeld)
    {
        if (!held.TryGetValue(queue, out var texts)) held[queue] = texts = new(StringComparer.Ordinal);
        texts[limitHeld] = texts.GetValueOrDefault(limitHeld) + 1;
    }

    /// <summary>Gives every slot back, unparks what it freed, and wakes the queue's blocked leasers.</summary>
    public void Apply(WriteContext ctx)
    {
        foreach (var (queue, texts) in held)
        {
            var slots = new Dictionary<string, int>(StringComparer.Ordinal);
            foreach (var (text, n) in texts)
                foreach (var slot in Slots(text))
                    slots[slot] = slots.GetValueOrDefault(slot) + n;
            var parkedFor = slots.Count == 1 ? null : GiveBackMany(ctx, queue, slots); // limits: one statement for the batch's slots
            bool? anyParked = null; // limits: the queue-wide Parked probe, only for a slot whose usage row is gone
            var wake = false; // limits: only a task put back in line or a queue-wide slot freed has a leaser to wake
            foreach (var (slot, n) in slots)
            {
                var sep = slot.IndexOf(LimitOps.SlotSeparator, StringComparison.Ordinal);
                if (sep < 0) continue; // not a slot this store wrote
                bool? parkedHere = null; // limits: the give-back's answer, whether tasks are parked for this slot
                if (parkedFor is not null)
                {
                    if (parkedFor.TryGetValue(slot, out var p)) parkedHere = p;
                }
                else
                {
                    var give = ctx.Command("TaskCompleteMany.GiveBack");
                    give.Set("$queue", queue);
                    give.Set("$name", slot[..sep]);
                    give.Set("$key", slot[(sep + 1)..]);
                    give.Set("$n", n);
                    give.Set("$slot", slot);
                    using var r = give.ExecuteReader();
                    if (r.Read()) parkedHere = r.GetInt64(0) != 0;
                }
                if (sep == slot.Length - 1) wake = true; // a queue-wide limit's slot: its leasers wait with nothing parked
                if (!(parkedHere ?? (anyParked ??= AnyParked(ctx, queue)))) continue;
                var unpark = ctx.Command("TaskCompleteMany.Unpark");
                unpark.Set("$queue", queue);
                unpark.Set("$slot", slot);
                unpark.Set("$n", n);
                if (unpark.ExecuteNonQuery() > 0) wake = true;
            }
            // Once per queue and batch (the TEMP trigger limits_wake leaves succeeded tasks to this), and only
            // when a parked task went back in line or a queue-wide slot freed (a queue-wide limit parks
            // nothing, but its blocked leasers wait for the slot): a keyed limit that blocked nobody wakes
            // no leaser, as on Redis (limits_flush).
            if (wake) ctx.Wake(queue);
        }
    }

    /// <summary>
    /// limits: every slot of the batch given back in one statement (TaskCompleteMany.GiveBackMany); per
    /// slot that has a usage row, whether tasks are parked for it (a slot without one has no answer).
    /// </summary>
    private static Dictionary<string, bool> GiveBackMany(WriteContext ctx, string queue, Dictionary<string, int> slots)
    {
        var json = new ArrayBufferWriter<byte>(slots.Count * 40);
        using (var w = new Utf8JsonWriter(json))
        {
            w.WriteStartArray();
            foreach (var (slot, n) in slots)
            {
                var sep = slot.IndexOf(LimitOps.SlotSeparator, StringComparison.Ordinal);
                if (sep < 0) continue; // not a slot this store wrote
                w.WriteStartArray();
                w.WriteStringValue(slot.AsSpan(0, sep));
                w.WriteStringValue(slot.AsSpan(sep + 1));
                w.WriteNumberValue(n);
                w.WriteEndArray();
            }
            w.WriteEndArray();
        }
        var give = ctx.Command("TaskCompleteMany.GiveBackMany");
        give.Set("$queue", queue);
        give.Set("$slots", Encoding.UTF8.GetString(json.WrittenSpan));
        var parkedFor = new Dictionary<string, bool>(slots.Count, StringComparer.Ordinal);
        using var r = give.ExecuteReader();
        while (r.Read()) parkedFor[LimitOps.Slot(r.GetString(0), r.GetString(1))] = r.GetInt64(2) != 0;
        return parkedFor;
    }

    private static bool AnyParked(WriteContext ctx, string queue)
    {
        var parked = ctx.Command("TaskCompleteMany.Parked");
        parked.Set("$queue", queue);
        return parked.ExecuteScalar() is not null;
    }

    // limits: a limit_held text -> its slots, parsed once for the process (tasks of one tenant share one
    // text), not once per batch; bounded as LimitOps' caches. A string[] read here is never changed.
    private static readonly BoundedMemo<string, string[]> ParsedHeld = new(StringComparer.Ordinal);

    private static string[] Slots(string text) => ParsedHeld.Get(text, static t => JsonSerializer.Deserialize<string[]>(t) ?? []);
}
