using System.Reflection;
using System.Text.RegularExpressions;
using Conveyor.Cli.Configuration;

namespace Conveyor.EndToEnd.Tests.Configuration;

/// <summary>docs/configuration.md's table of the keys under <c>Schedules:&lt;name&gt;</c> names exactly the keys <see cref="ScheduleSettings"/> reads.</summary>
public sealed partial class ScheduleSettingsDocTests
{
    [Fact]
    public void The_schedule_keys_table_names_exactly_the_keys_read()
    {
        var root = new DirectoryInfo(AppContext.BaseDirectory);
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "Conveyor.slnx"))) root = root.Parent;
        var doc = File.ReadAllText(Path.Combine(root!.FullName, "docs", "configuration.md"));
        var table = doc[doc.IndexOf("<!-- schedule-keys -->", StringComparison.Ordinal)..];
        table = table[..table.IndexOf("\n\n", StringComparison.Ordinal)];
        var documented = Row().Matches(table).Select(m => m.Groups[1].Value).Order().ToList();
        var read = typeof(ScheduleSettings).GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanWrite).Select(p => p.Name).Order().ToList();
        Assert.Equal(read, documented);
    }

    [GeneratedRegex(@"^\| `([A-Za-z]+)` \|", RegexOptions.Multiline)]
    private static partial Regex Row();
}
