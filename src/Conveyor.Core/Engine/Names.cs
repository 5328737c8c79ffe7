using System.Text.RegularExpressions;

namespace Conveyor.Engine;

/// <summary>The name rules of DESIGN §2, in one place.</summary>
public static partial class Names
{
    public const string TypePattern = "^[a-z0-9][a-z0-9._-]{0,99}$";
    public const string QueuePattern = "^[a-z0-9][a-z0-9._-]{0,63}$";

    [GeneratedRegex(TypePattern, RegexOptions.CultureInvariant)]
    private static partial Regex TypeRegex();

    [GeneratedRegex(QueuePattern, RegexOptions.CultureInvariant)]
    private static partial Regex QueueRegex();

    public static bool IsValidType(string? type) => type is not null && TypeRegex().IsMatch(type);

    public static bool IsValidQueue(string? queue) => queue is not null && QueueRegex().IsMatch(queue);

    public static string? CheckType(string? type, string field = "type") =>
        IsValidType(type) ? null : $"'{Show(type)}' is not a valid task type: it must match {TypePattern} (lower-case letters, digits, '.', '_', '-'; at most 100 characters)";

    public static string? CheckQueue(string? queue, string field = "queue") =>
        IsValidQueue(queue) ? null : $"'{Show(queue)}' is not a valid queue name: it must match {QueuePattern} (lower-case letters, digits, '.', '_', '-'; at most 64 characters)";

    private static string Show(string? s) => s is null ? "(null)" : s.Length > 120 ? s[..120] + "…" : s;
}
