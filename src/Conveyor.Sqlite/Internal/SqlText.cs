using System.Collections.Concurrent;
using System.Reflection;
using System.Text;

namespace Conveyor.Sqlite.Internal;

/// <summary>
/// The SQL of the store, embedded from <c>Sql/*.sql</c>: one file per operation, named after it. A file
/// holds one statement, or several sections each opened by <c>-- name: Part</c>; a query is addressed as
/// "File" or "File.Part" (e.g. "TaskFailMany.Apply"). Every file starts with a header comment that says
/// its parameters and its result.
/// </summary>
internal static class SqlText
{
    private static readonly ConcurrentDictionary<string, string> Cache = new(StringComparer.Ordinal);

    public static string Get(string name) => Cache.GetOrAdd(name, Load);

    private static string Load(string name)
    {
        var dot = name.IndexOf('.', StringComparison.Ordinal);
        var file = dot < 0 ? name : name[..dot];
        var part = dot < 0 ? null : name[(dot + 1)..];
        var text = ReadResource($"Conveyor.Sqlite.Sql.{file}.sql");
        if (part is null) return text;
        foreach (var (sectionName, body) in Sections(text))
            if (sectionName == part) return body;
        throw new InvalidOperationException($"Sql/{file}.sql has no section '-- name: {part}'");
    }

    private static IEnumerable<(string Name, string Body)> Sections(string text)
    {
        string? current = null;
        var body = new StringBuilder();
        foreach (var line in text.Split('\n'))
        {
            var trimmed = line.Trim();
            if (trimmed.StartsWith("-- name:", StringComparison.Ordinal))
            {
                if (current is not null) yield return (current, body.ToString());
                current = trimmed["-- name:".Length..].Trim();
                body.Clear();
            }
            else if (current is not null)
            {
                body.Append(line).Append('\n');
            }
        }
        if (current is not null) yield return (current, body.ToString());
    }

    internal static string ReadResource(string resource)
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream(resource)
            ?? throw new InvalidOperationException($"embedded SQL '{resource}' is missing");
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return reader.ReadToEnd();
    }

    /// <summary>The embedded migrations, in version order: (version, sql).</summary>
    internal static IReadOnlyList<(int Version, string Sql)> Migrations()
    {
        const string prefix = "Conveyor.Sqlite.Migrations.";
        var list = new List<(int, string)>();
        foreach (var res in Assembly.GetExecutingAssembly().GetManifestResourceNames())
        {
            if (!res.StartsWith(prefix, StringComparison.Ordinal)) continue;
            var file = res[prefix.Length..];
            var version = int.Parse(file[..file.IndexOf('_', StringComparison.Ordinal)], System.Globalization.CultureInfo.InvariantCulture);
            list.Add((version, ReadResource(res)));
        }
        list.Sort((a, b) => a.Item1.CompareTo(b.Item1));
        return list;
    }
}
