using System.Collections;
using System.Globalization;
using System.Reflection;
using Conveyor.Cli.Infrastructure;
using Microsoft.Extensions.Configuration;

namespace Conveyor.Cli.Configuration;

/// <summary>
/// Binds one configuration section onto an options object, property by property (public, settable,
/// of a type a value can name), and says of every bad value which key it is and what it holds:
/// <c>Worker:Concurrency: 'lots' is not a whole number</c>. Durations take the CLI's forms (30, 250ms,
/// 30s, 5m, 2h) as well as .NET's <c>00:00:30</c>. The same walk lists the keys for the docs test.
/// </summary>
internal static class OptionsBinder
{
    public static void Bind(IConfiguration config, string section, object target, List<string> errors)
    {
        foreach (var p in Bindable(target.GetType()))
        {
            var key = $"{section}:{p.Name}";
            if (IsNested(p.PropertyType))
            {
                // Nested sections (Server:Tls...) are created by their options class; nothing is made from a
                // type named in configuration.
                var nested = p.GetValue(target) ?? throw new InvalidOperationException($"{target.GetType().Name}.{p.Name} must be initialised: it is the section {key}");
                Bind(config, key, nested, errors);
                continue;
            }
            var s = config.GetSection(key);
            if (p.PropertyType == typeof(List<string>))
            {
                var items = s.Value is { } v ? v.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList()
                    : s.GetChildren().Select(c => c.Value ?? "").ToList();
                if (s.Value is not null || items.Count > 0) p.SetValue(target, items);
                continue;
            }
            if (s.Value is not { } text) continue;
            try
            {
                p.SetValue(target, Convert(text, p.PropertyType));
            }
            catch (FormatException e)
            {
                errors.Add($"{key}: '{text}' {e.Message}");
            }
        }
    }

    /// <summary>Every key an options type reads under <paramref name="section"/>, nested ones included.</summary>
    public static IEnumerable<string> Keys(Type type, string section) =>
        Bindable(type).SelectMany(p => IsNested(p.PropertyType) ? Keys(p.PropertyType, $"{section}:{p.Name}") : [$"{section}:{p.Name}"]);

    private static IEnumerable<PropertyInfo> Bindable(Type type) =>
        type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.CanWrite && p.SetMethod!.IsPublic && (IsScalar(p.PropertyType) || p.PropertyType == typeof(List<string>) || IsNested(p.PropertyType)));

    private static bool IsScalar(Type t)
    {
        t = Nullable.GetUnderlyingType(t) ?? t;
        return t == typeof(string) || t == typeof(int) || t == typeof(long) || t == typeof(bool) || t == typeof(TimeSpan);
    }

    private static bool IsNested(Type t) =>
        t.IsClass && t != typeof(string) && !typeof(IEnumerable).IsAssignableFrom(t) && !typeof(Delegate).IsAssignableFrom(t)
        && t.GetConstructor(Type.EmptyTypes) is not null && t.Namespace?.StartsWith("Conveyor", StringComparison.Ordinal) == true;

    private static object? Convert(string text, Type type)
    {
        var t = Nullable.GetUnderlyingType(type);
        if (t is not null && string.IsNullOrWhiteSpace(text)) return null;
        t ??= type;
        if (t == typeof(string)) return text.Trim();
        if (t == typeof(int))
            return int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var i) ? i : throw new FormatException("is not a whole number");
        if (t == typeof(long))
            return long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var l) ? l : throw new FormatException("is not a whole number");
        if (t == typeof(bool))
            return bool.TryParse(text, out var b) ? b : throw new FormatException("is not true or false");
        if (TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out var ts) && text.Contains(':', StringComparison.Ordinal))
        {
            if (ts < TimeSpan.Zero) throw new FormatException("is negative; a duration must be 0 or more");
            return ts;
        }
        return Durations.TryParse(text, out var d, out var problem) ? d : throw new FormatException(problem);
    }
}
