using System.Text.RegularExpressions;
using Conveyor.Cli.Configuration;

namespace Conveyor.EndToEnd.Tests.Configuration;

/// <summary>
/// docs/configuration.md lists every key the options classes read (their public settable properties,
/// section by section) and no key that does not exist; its environment variable column follows the
/// <c>CONVEYOR__Section__Key</c> rule.
/// </summary>
public sealed partial class ConfigurationDocTests
{
    private static readonly string Doc = File.ReadAllText(Path.Combine(RepoRoot(), "docs", "configuration.md"));

    private static string RepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Conveyor.slnx"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("the repository root (Conveyor.slnx) is not above the tests");
    }

    private static List<(string Key, string Env)> Rows() =>
        [.. RowPattern().Matches(Doc).Select(m => (m.Groups[1].Value, m.Groups[2].Value))];

    private static HashSet<string> CodeKeys() =>
        [.. ConveyorSettings.Sections.SelectMany(s => OptionsBinder.Keys(s.Type, s.Section))];

    [Fact]
    public void Every_key_of_the_options_classes_is_documented()
    {
        var documented = Rows().Select(r => r.Key).ToHashSet();
        var missing = CodeKeys().Where(k => !documented.Contains(k)).ToList();
        Assert.True(missing.Count == 0, "docs/configuration.md lacks: " + string.Join(", ", missing));
    }

    [Fact]
    public void The_doc_names_no_key_that_does_not_exist()
    {
        var keys = CodeKeys();
        var rows = Rows();
        Assert.True(rows.Count >= keys.Count, "the table was not found");
        var unknown = rows.Select(r => r.Key).Where(k => !keys.Contains(k)).ToList();
        Assert.True(unknown.Count == 0, "docs/configuration.md names keys no options class has: " + string.Join(", ", unknown));
        Assert.Equal(rows.Count, rows.Select(r => r.Key).Distinct().Count());
    }

    [Fact]
    public void Each_environment_variable_follows_the_double_underscore_rule()
    {
        foreach (var (key, env) in Rows())
            Assert.Equal(ConveyorSettings.EnvironmentPrefix + key.Replace(":", "__", StringComparison.Ordinal), env);
    }

    [GeneratedRegex(@"^\| `([A-Za-z:]+)` \| `(CONVEYOR__[A-Za-z_]+)`", RegexOptions.Multiline)]
    private static partial Regex RowPattern();
}
