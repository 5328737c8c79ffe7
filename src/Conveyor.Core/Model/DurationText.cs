using System.Globalization;

namespace Conveyor.Model;

/// <summary>
/// The one grammar of durations in text, shared by the CLI's flags, configuration and retention rules:
/// a number with an optional unit, "250ms", "30s", "5m", "2h", "1d", or plain seconds ("30").
/// </summary>
public static class DurationText
{
    /// <summary>The duration in seconds (may be negative or huge: callers apply their own range), or false when it is not one.</summary>
    public static bool TryParseSeconds(string text, out double seconds)
    {
        seconds = default;
        var t = text.Trim().ToLowerInvariant();
        (string number, double unit) = t switch
        {
            _ when t.EndsWith("ms", StringComparison.Ordinal) => (t[..^2], 0.001),
            _ when t.EndsWith('s') => (t[..^1], 1),
            _ when t.EndsWith('m') => (t[..^1], 60),
            _ when t.EndsWith('h') => (t[..^1], 3600),
            _ when t.EndsWith('d') => (t[..^1], 86400),
            _ => (t, 1),
        };
        if (!double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) || double.IsNaN(v) || double.IsInfinity(v)) return false;
        seconds = v * unit;
        return true;
    }
}
