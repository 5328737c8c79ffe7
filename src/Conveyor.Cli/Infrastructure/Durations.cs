using System.Globalization;

namespace Conveyor.Cli.Infrastructure;

/// <summary>Durations on the command line and in configuration: "30" (seconds), "250ms", "30s", "5m", "2h", "1d".</summary>
internal static class Durations
{
    public static TimeSpan Parse(string text, string option) =>
        TryParse(text, out var value, out var problem) ? value : throw new CliException($"{option}: '{text}' {problem}");

    /// <summary>False with the problem in words ("is not a duration (examples: ...)") when <paramref name="text"/> is not one.</summary>
    public static bool TryParse(string text, out TimeSpan value, out string problem)
    {
        value = default;
        problem = "";
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
        if (!double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) || double.IsNaN(v) || double.IsInfinity(v) || Math.Abs(v * unit) > 10 * 365 * 86400)
        {
            problem = "is not a duration (examples: 30, 250ms, 30s, 5m, 2h)";
            return false;
        }
        if (v < 0)
        {
            problem = "is negative; a duration must be 0 or more";
            return false;
        }
        value = TimeSpan.FromSeconds(v * unit);
        return true;
    }

    public static TimeSpan? ParseOptional(string? text, string option) => text is null ? null : Parse(text, option);
}
