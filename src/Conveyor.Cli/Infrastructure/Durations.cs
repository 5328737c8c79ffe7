using System.Globalization;
using Conveyor.Model;

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
        if (!DurationText.TryParseSeconds(text, out var seconds) || Math.Abs(seconds) > 10 * 365 * 86400)
        {
            problem = "is not a duration (examples: 30, 250ms, 30s, 5m, 2h)";
            return false;
        }
        if (seconds < 0)
        {
            problem = "is negative; a duration must be 0 or more";
            return false;
        }
        value = TimeSpan.FromSeconds(seconds);
        return true;
    }

    public static TimeSpan? ParseOptional(string? text, string option) => text is null ? null : Parse(text, option);
}
