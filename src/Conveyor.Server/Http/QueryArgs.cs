using System.Globalization;
using Conveyor.Model;

namespace Conveyor.Server.Http;

/// <summary>Query-string values parsed with a precise 400 naming the parameter, never a silent default.</summary>
internal static class QueryArgs
{
    public static int Int(string? raw, string name, int fallback)
    {
        if (raw is null) return fallback;
        return int.TryParse(raw, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v)
            ? v
            : throw ProblemException.Validation(name, $"{name} must be an integer; got '{Show(raw)}'");
    }

    public static TimeSpan Seconds(string? raw, string name, TimeSpan fallback)
    {
        if (raw is null) return fallback;
        return double.TryParse(raw, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && double.IsFinite(v) && Math.Abs(v) < 1e9
            ? TimeSpan.FromSeconds(v)
            : throw ProblemException.Validation(name, $"{name} must be a number of seconds; got '{Show(raw)}'");
    }

    public static TaskState? State(string? raw, string name = "state")
    {
        if (string.IsNullOrEmpty(raw)) return null;
        return TaskStates.TryParse(raw, out var s)
            ? s
            : throw ProblemException.Validation(name, $"state must be one of {string.Join(", ", TaskStates.All.Select(x => x.ToWire()))}; got '{Show(raw)}'");
    }

    public static string? Text(string? raw) => string.IsNullOrEmpty(raw) ? null : raw;

    private static string Show(string s) => s.Length > 60 ? s[..60] + "…" : s;
}
