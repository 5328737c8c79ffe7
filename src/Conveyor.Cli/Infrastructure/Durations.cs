using System.Globalization;

namespace Conveyor.Cli.Infrastructure;

/// <summary>Durations on the command line: "30" (seconds), "250ms", "30s", "5m", "2h", "1d".</summary>
internal static class Durations
{
    public static TimeSpan Parse(string text, string option)
    {
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
        if (!double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || double.IsNaN(value) || double.IsInfinity(value) || Math.Abs(value * unit) > 10 * 365 * 86400)
            throw new CliException($"{option}: '{text}' is not a duration (examples: 30, 250ms, 30s, 5m, 2h)");
        if (value < 0) throw new CliException($"{option}: '{text}' is negative; a duration must be 0 or more");
        return TimeSpan.FromSeconds(value * unit);
    }

    public static TimeSpan? ParseOptional(string? text, string option) => text is null ? null : Parse(text, option);
}
