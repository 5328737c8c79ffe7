using System.Reflection;
using System.Text.RegularExpressions;
using Conveyor.Cli.Configuration;
using Microsoft.Extensions.Configuration;

namespace Conveyor.EndToEnd.Tests.Configuration;

/// <summary>
/// Queue limits in the configuration (<c>Limits:&lt;queue&gt;:&lt;name&gt;:…</c>, <see cref="LimitSettings"/>):
/// read as the API reads a limit, every bad value named by its key, and docs/configuration.md's table of
/// the keys in step with the keys read. In process, no server.
/// </summary>
public sealed partial class LimitSettingsTests
{
    private static IConfiguration Config(params (string Key, string Value)[] values) =>
        new ConfigurationBuilder().AddInMemoryCollection(values.Select(v => new KeyValuePair<string, string?>(v.Key, v.Value))).Build();

    [Fact]
    public void Limits_of_several_queues_are_read_with_their_keys()
    {
        var errors = new List<string>();
        var limits = LimitSettings.ReadAll(Config(
            ("Limits:emails:per-tenant:Key", "metadata.tenant"), ("Limits:emails:per-tenant:Concurrency", "2"),
            ("Limits:emails:api:Rate", "10"), ("Limits:emails:api:Interval", "1s"),
            ("Limits:reports.daily:all:Concurrency", "1")), errors);
        Assert.Empty(errors);
        Assert.Equal(3, limits.Count);
        var perTenant = Assert.Single(limits, l => l.Limit.Name == "per-tenant");
        Assert.Equal(("emails", "metadata.tenant", 2, (int?)null), (perTenant.Queue, perTenant.Limit.Key, perTenant.Limit.Concurrency, perTenant.Limit.Rate));
        var api = Assert.Single(limits, l => l.Limit.Name == "api");
        Assert.Equal((null, 10, TimeSpan.FromSeconds(1)), (api.Limit.Key, api.Limit.Rate, api.Limit.Interval));
        Assert.Equal("Limits:reports.daily:all", Assert.Single(limits, l => l.Queue == "reports.daily").ConfigKey);
    }

    [Fact]
    public void No_limits_section_reads_none()
    {
        var errors = new List<string>();
        Assert.Empty(LimitSettings.ReadAll(Config(("Server:Port", "8000")), errors));
        Assert.Empty(errors);
    }

    public static TheoryData<string, string, string> Bad() => new()
    {
        { "Limits:emails:per-tenant:Concurrency", "lots", "Limits:emails:per-tenant:Concurrency: 'lots'" },
        { "Limits:emails:per-tenant:Concurrency", "0", "Limits:emails:per-tenant:Concurrency: concurrency must be between 1 and 1000000; got 0" },
        { "Limits:emails:per-tenant:Key", "tenant", "Limits:emails:per-tenant:Key: key must be metadata.<name> or args.<field>" },
        { "Limits:emails:per-tenant:Rate", "5", "Limits:emails:per-tenant:Interval: a rate needs an interval" },
        { "Limits:emails:per-tenant:Interval", "soon", "Limits:emails:per-tenant:Interval: 'soon'" },
        { "Limits:emails:per-tenant:Concurency", "2", "Limits:emails:per-tenant:Concurency: not a limit key (the keys are Key, Concurrency, Rate, Interval)" },
        { "Limits:emails:per-tenant", "2", "Limits:emails:per-tenant: '2' is not a limit" },
        { "Limits:Mail:per-tenant:Concurrency", "2", "Limits:Mail: 'Mail' is not a queue name" },
        { "Limits:emails:Per Tenant:Concurrency", "2", "Limits:emails:Per Tenant: a limit name is 1 to 64 characters" },
    };

    [Theory]
    [MemberData(nameof(Bad))]
    public void A_bad_value_is_named_by_its_key_and_the_limit_is_not_read(string key, string value, string message)
    {
        var errors = new List<string>();
        var config = new ConfigurationBuilder()
            .AddInMemoryCollection([new("Limits:emails:per-tenant:Key", "metadata.tenant"), new("Limits:emails:per-tenant:Concurrency", "2")])
            .AddInMemoryCollection([new KeyValuePair<string, string?>(key, value)])
            .Build();
        var limits = LimitSettings.ReadAll(config, errors);
        Assert.Contains(errors, e => e.StartsWith(message, StringComparison.Ordinal));
        Assert.DoesNotContain(limits, l => key.StartsWith(l.ConfigKey, StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public void More_limits_on_a_queue_than_a_queue_may_have_are_refused()
    {
        var errors = new List<string>();
        LimitSettings.ReadAll(Config([.. Enumerable.Range(0, 9).Select(i => ($"Limits:emails:l{i}:Concurrency", "1"))]), errors);
        Assert.Contains("Limits:emails: 9 limits; a queue has at most 8", errors);
    }

    [Fact]
    public void The_limit_keys_table_names_exactly_the_keys_read()
    {
        var root = new DirectoryInfo(AppContext.BaseDirectory);
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "Conveyor.slnx"))) root = root.Parent;
        var doc = File.ReadAllText(Path.Combine(root!.FullName, "docs", "configuration.md"));
        var table = doc[doc.IndexOf("<!-- limit-keys -->", StringComparison.Ordinal)..];
        table = table[..table.IndexOf("\n\n", StringComparison.Ordinal)];
        var documented = Row().Matches(table).Select(m => m.Groups[1].Value).Order().ToList();
        var read = typeof(LimitSettings).GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanWrite).Select(p => p.Name).Order().ToList();
        Assert.Equal(read, documented);
    }

    [GeneratedRegex(@"^\| `([A-Za-z]+)` \|", RegexOptions.Multiline)]
    private static partial Regex Row();
}
