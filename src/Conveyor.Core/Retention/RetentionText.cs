using System.Globalization;
using Conveyor.Model;

namespace Conveyor.Retention;

/// <summary>
/// Retention in text: ages ("90s", "30m", "1h", "30d", or plain seconds) and the rule list of the
/// CLI's <c>--retention</c> flag and <c>conveyor retention set</c>:
/// <c>succeeded=1h,failed=30d,cancelled=1d</c>, each entry optionally for one queue (<c>emails:succeeded=10m</c>)
/// and with a count (<c>succeeded=1h/1000</c>: at most 1000 kept, none older than an hour; <c>succeeded=/1000</c>: count only).
/// "dead" is accepted for "failed".
/// </summary>
public static class RetentionText
{
    public static bool TryParse(string text, out TimeSpan age)
    {
        age = default;
        if (!DurationText.TryParseSeconds(text, out var seconds) || seconds < 0 || seconds > RetentionPolicy.MaxAgeLimit.TotalSeconds + 1) return false;
        age = TimeSpan.FromSeconds(seconds);
        return true;
    }

    /// <summary>The shortest exact text of an age: "7d", "1h", "90s", "250ms".</summary>
    public static string Format(TimeSpan age)
    {
        string N(double x) => x.ToString(CultureInfo.InvariantCulture);
        if (age.Ticks % TimeSpan.TicksPerDay == 0 && age.Ticks != 0) return N(age.TotalDays) + "d";
        if (age.Ticks % TimeSpan.TicksPerHour == 0 && age.Ticks != 0) return N(age.TotalHours) + "h";
        if (age.Ticks % TimeSpan.TicksPerMinute == 0 && age.Ticks != 0) return N(age.TotalMinutes) + "m";
        if (age.Ticks % TimeSpan.TicksPerSecond == 0) return N(age.TotalSeconds) + "s";
        return N(age.TotalMilliseconds) + "ms";
    }

    public static bool TryParseState(string? text, out TaskState state)
    {
        state = text?.Trim().ToLowerInvariant() switch
        {
            "succeeded" => TaskState.Succeeded,
            "failed" or "dead" => TaskState.Failed,
            "cancelled" => TaskState.Cancelled,
            "expired" => TaskState.Expired,
            _ => TaskState.Pending,
        };
        return state != TaskState.Pending;
    }

    /// <summary>
    /// Parses a rule list (see the type's summary) into rules; <paramref name="maxCount"/>, when given,
    /// adds an every-queue count for each state no entry gives a count for. Throws <see cref="FormatException"/>
    /// naming the bad entry.
    /// </summary>
    public static IReadOnlyList<RetentionRule> ParseRules(string? text, long? maxCount = null)
    {
        var rules = new List<RetentionRule>();
        foreach (var raw in (text ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var eq = raw.IndexOf('=');
            if (eq <= 0) throw new FormatException($"'{raw}' is not state=age (examples: succeeded=1h, failed=30d, emails:succeeded=10m/1000)");
            var left = raw[..eq];
            var right = raw[(eq + 1)..];
            string? queue = null;
            if (left.IndexOf(':') is var colon and > 0) { queue = left[..colon]; left = left[(colon + 1)..]; }
            if (!TryParseState(left, out var state)) throw new FormatException($"'{raw}': the state must be succeeded, failed (dead), cancelled or expired");
            var slash = right.IndexOf('/');
            var ageText = slash < 0 ? right : right[..slash];
            TimeSpan? age = null;
            long? count = null;
            if (ageText.Length > 0)
            {
                if (!TryParse(ageText, out var a)) throw new FormatException($"'{raw}': '{ageText}' is not an age (examples: 90s, 30m, 1h, 30d)");
                age = a;
            }
            if (slash >= 0)
            {
                if (!long.TryParse(right[(slash + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var c))
                    throw new FormatException($"'{raw}': '{right[(slash + 1)..]}' is not a count");
                count = c;
            }
            rules.Add(new RetentionRule { Queue = queue, State = state, MaxAge = age, MaxCount = count });
        }
        if (maxCount is { } n)
        {
            foreach (var state in RetentionPolicy.States)
            {
                var i = rules.FindIndex(r => r.Queue is null && r.State == state);
                if (i < 0) rules.Add(new RetentionRule { State = state, MaxCount = n });
                else if (rules[i].MaxCount is null) rules[i] = rules[i] with { MaxCount = n };
            }
        }
        return rules;
    }

    /// <summary>The rule list in the text <see cref="ParseRules"/> reads.</summary>
    public static string FormatRules(IEnumerable<RetentionRule> rules) => string.Join(',', rules.Select(r =>
        (r.Queue is null ? "" : r.Queue + ":") + r.State.ToWire() + "=" + (r.MaxAge is { } a ? Format(a) : "") + (r.MaxCount is { } c ? "/" + c.ToString(CultureInfo.InvariantCulture) : "")));
}
