using System.Text.RegularExpressions;

namespace Conveyor.Containers.Tests;

/// <summary>
/// What `docker-compose up` reads with no -f (docker-compose.yml and docker-compose.override.yml, as
/// users run it; the deployment test runs without the override, on the host's network): only the
/// broker is published, on 127.0.0.1, and the workers' grace period outlasts their drain.
/// </summary>
public sealed partial class ComposeFileTests
{
    [Fact]
    public async Task Users_compose_files_publish_only_the_broker_and_only_on_loopback()
    {
        await TestImages.Ensure(); // docker-compose config needs no engine, but the same installs
        var config = (await Command.Run("docker-compose", ["config"], TimeSpan.FromMinutes(1),
            new Dictionary<string, string> { ["API_SECRET_TOKEN"] = "t" }, Repository.Root)).Ok().Stdout;
        var services = Services(config);
        Assert.Equal(["broker", "redis", "worker"], services.Keys.Order());
        foreach (var (name, body) in services)
        {
            var published = Ports(body);
            if (name == "broker")
                Assert.Equal(["127.0.0.1:5000:5000/tcp"], published);
            else
                Assert.Empty(published);
        }
        Assert.Contains("API_SECRET_TOKEN: t", services["broker"], StringComparison.Ordinal);
        Assert.Contains("API_SECRET_TOKEN: t", services["worker"], StringComparison.Ordinal);
        // The drain (default --drain-timeout 20 s, +5 s for cancelled handlers) must end before Docker's SIGKILL.
        var grace = GracePeriod().Match(services["worker"]);
        Assert.True(grace.Success, services["worker"]);
        Assert.True(int.Parse(grace.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) > 25, grace.Value);
    }

    /// <summary>The services of `docker-compose config`'s YAML, by name (two-space indentation).</summary>
    private static Dictionary<string, string> Services(string yaml)
    {
        var result = new Dictionary<string, string>();
        var inServices = false;
        string? current = null;
        foreach (var line in yaml.Split('\n'))
        {
            if (!line.StartsWith(' ')) { inServices = line.TrimEnd() == "services:"; current = null; continue; }
            if (!inServices) continue;
            if (line.StartsWith("  ", StringComparison.Ordinal) && !line.StartsWith("   ", StringComparison.Ordinal)) { current = line.Trim().TrimEnd(':'); result[current] = ""; continue; }
            if (current is not null) result[current] += line + "\n";
        }
        return result;
    }

    /// <summary>The items of a service's <c>ports:</c> list.</summary>
    private static List<string> Ports(string body)
    {
        var lines = body.Split('\n');
        var start = Array.FindIndex(lines, l => l.TrimEnd() == "    ports:");
        return start < 0 ? [] : [.. lines.Skip(start + 1).TakeWhile(l => l.StartsWith("    - ", StringComparison.Ordinal)).Select(l => l.Trim()[2..].Trim('\'', '"'))];
    }

    [GeneratedRegex(@"stop_grace_period: (\d+)s")]
    private static partial Regex GracePeriod();
}
