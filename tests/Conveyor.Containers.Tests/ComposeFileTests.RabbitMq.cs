namespace Conveyor.Containers.Tests;

// Seed 002's compose variant (docker-compose.rabbitmq.yml, run with -f, so without the override file).
public sealed partial class ComposeFileTests
{
    [Fact]
    public async Task The_RabbitMQ_compose_file_publishes_only_the_manager_on_loopback_and_pairs_RabbitMQ_with_Redis()
    {
        // `docker-compose config` reads and validates the file; it needs no engine.
        var config = (await Command.Run("docker-compose", ["-f", "docker-compose.rabbitmq.yml", "config"], TimeSpan.FromMinutes(1),
            new Dictionary<string, string> { ["API_SECRET_TOKEN"] = "t", ["RABBITMQ_PASSWORD"] = "p" }, Repository.Root)).Ok().Stdout;
        var services = Services(config);
        Assert.Equal(["manager", "rabbitmq", "redis", "worker"], services.Keys.Order());
        foreach (var (name, body) in services)
        {
            var published = Ports(body);
            if (name == "manager")
                Assert.Equal(["127.0.0.1:5000:5000/tcp"], published);
            else
                Assert.Empty(published);
        }
        Assert.Contains("rabbitmq://conveyor:p@rabbitmq:5672/conveyor?records=redis://redis:6379", services["manager"], StringComparison.Ordinal);
        Assert.Contains("RABBITMQ_DEFAULT_PASS: p", services["rabbitmq"], StringComparison.Ordinal);
        Assert.Contains("--appendfsync", services["redis"], StringComparison.Ordinal);
        var grace = GracePeriod().Match(services["worker"]);
        Assert.True(grace.Success, services["worker"]);
        Assert.True(int.Parse(grace.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) > 25, grace.Value);
    }
}
