using System.Globalization;
using System.Text.RegularExpressions;

namespace Conveyor.EndToEnd.Tests.Telemetry;

/// <summary>
/// A strict reader of the Prometheus text exposition format (0.0.4): every line is a HELP, a TYPE, a
/// comment or a well-formed sample; every sample belongs to a family declared with HELP and TYPE
/// before it; histograms have cumulative buckets ending in +Inf equal to their count. Throws on
/// anything else, with the line.
/// </summary>
internal sealed partial class PrometheusText
{
    private readonly Dictionary<string, string> _types = new(StringComparer.Ordinal);
    private readonly List<Sample> _samples = [];

    public sealed record Sample(string Name, IReadOnlyDictionary<string, string> Labels, double Value);

    public IReadOnlyList<Sample> Samples => _samples;
    public IReadOnlyDictionary<string, string> Types => _types;

    public static PrometheusText Parse(string text)
    {
        var p = new PrometheusText();
        var help = new HashSet<string>(StringComparer.Ordinal);
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.TrimEnd('\r');
            if (line.Length == 0) continue;
            if (line.StartsWith("# HELP ", StringComparison.Ordinal))
            {
                var m = HelpLine().Match(line);
                if (!m.Success) throw new FormatException($"bad HELP line: {line}");
                help.Add(m.Groups[1].Value);
                continue;
            }
            if (line.StartsWith("# TYPE ", StringComparison.Ordinal))
            {
                var m = TypeLine().Match(line);
                if (!m.Success) throw new FormatException($"bad TYPE line: {line}");
                if (!p._types.TryAdd(m.Groups[1].Value, m.Groups[2].Value)) throw new FormatException($"TYPE repeated: {line}");
                continue;
            }
            if (line.StartsWith('#')) continue; // a comment (e.g. # EOF)
            var s = SampleLine().Match(line);
            if (!s.Success) throw new FormatException($"bad sample line: {line}");
            var name = s.Groups["name"].Value;
            var family = p.FamilyOf(name) ?? throw new FormatException($"sample before (or without) its TYPE: {line}");
            if (!help.Contains(family)) throw new FormatException($"sample without HELP for {family}: {line}");
            var labels = new Dictionary<string, string>(StringComparer.Ordinal);
            var body = s.Groups["labels"].Value;
            if (body.Length > 0)
            {
                var rest = body;
                while (rest.Length > 0)
                {
                    var l = Label().Match(rest);
                    if (!l.Success || l.Index != 0) throw new FormatException($"bad labels in: {line}");
                    if (!labels.TryAdd(l.Groups[1].Value, Unescape(l.Groups[2].Value))) throw new FormatException($"label repeated in: {line}");
                    rest = rest[l.Length..];
                }
            }
            p._samples.Add(new Sample(name, labels, ParseValue(s.Groups["value"].Value, line)));
        }
        p.CheckHistograms();
        return p;
    }

    private string? FamilyOf(string name)
    {
        if (_types.ContainsKey(name)) return name;
        foreach (var suffix in new[] { "_bucket", "_sum", "_count", "_total", "_created" })
            if (name.EndsWith(suffix, StringComparison.Ordinal) && _types.ContainsKey(name[..^suffix.Length])) return name[..^suffix.Length];
        return null;
    }

    private void CheckHistograms()
    {
        foreach (var (family, type) in _types)
        {
            if (type != "histogram") continue;
            foreach (var series in _samples.Where(s => s.Name == family + "_bucket").GroupBy(s => Key(s.Labels, "le")))
            {
                var buckets = series.Select(s => (Le: ParseValue(s.Labels["le"], s.Name), s.Value)).ToList();
                for (var i = 1; i < buckets.Count; i++)
                    if (buckets[i].Le <= buckets[i - 1].Le || buckets[i].Value < buckets[i - 1].Value)
                        throw new FormatException($"{family}: buckets not cumulative in order at le={buckets[i].Le}");
                if (!double.IsPositiveInfinity(buckets[^1].Le)) throw new FormatException($"{family}: no +Inf bucket");
                var count = _samples.Single(s => s.Name == family + "_count" && Key(s.Labels) == series.Key).Value;
                if (count != buckets[^1].Value) throw new FormatException($"{family}: +Inf bucket {buckets[^1].Value} != count {count}");
            }
        }
    }

    private static string Key(IReadOnlyDictionary<string, string> labels, string? without = null) =>
        string.Join(",", labels.Where(kv => kv.Key != without).OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => $"{kv.Key}={kv.Value}"));

    /// <summary>The sum of a sample name's values over the series whose labels include <paramref name="match"/>.</summary>
    public double Sum(string name, params (string Key, string Value)[] match) =>
        _samples.Where(s => s.Name == name && match.All(m => s.Labels.TryGetValue(m.Key, out var v) && v == m.Value)).Sum(s => s.Value);

    private static double ParseValue(string v, string line) => v switch
    {
        "+Inf" => double.PositiveInfinity,
        "-Inf" => double.NegativeInfinity,
        "NaN" => double.NaN,
        _ => double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) ? d : throw new FormatException($"bad value '{v}' in: {line}"),
    };

    private static string Unescape(string s) => s.Replace("\\n", "\n", StringComparison.Ordinal).Replace("\\\"", "\"", StringComparison.Ordinal).Replace("\\\\", "\\", StringComparison.Ordinal);

    [GeneratedRegex(@"^# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*) .*$")]
    private static partial Regex HelpLine();

    [GeneratedRegex(@"^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)$")]
    private static partial Regex TypeLine();

    [GeneratedRegex(@"^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?<labels>[^}]*)\})? (?<value>[^ ]+)( -?[0-9]+)?$")]
    private static partial Regex SampleLine();

    [GeneratedRegex(@"([a-zA-Z_][a-zA-Z0-9_]*)=""((?:[^""\\]|\\.)*)"",?")]
    private static partial Regex Label();
}
