using Xunit.Abstractions;

namespace Conveyor.EndToEnd.Tests.RabbitMq;

/// <summary>A rabbitmq:// store the CLI cannot use is refused at start in one line, with a non-zero exit, and nothing starts.</summary>
public sealed class RabbitMqBadStoreTests(ITestOutputHelper output) : IDisposable
{
    private readonly TestEnvironment _env = new();

    [Theory]
    [InlineData("rabbitmq://guest:s3cret@127.0.0.1:5672/v", "needs its records store")]
    [InlineData("rabbitmq://guest:s3cret@127.0.0.1:5672/v?records=mongodb://db", "must be Redis")]
    public async Task A_rabbitmq_store_without_usable_records_is_refused_in_one_line(string store, string problem)
    {
        var (code, text) = await ConveyorProcess.Run(_env.Directory, "server", "--port", TestEnvironment.FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture), "--store", store);
        output.WriteLine($"exit {code}: {text}");
        Assert.NotEqual(0, code);
        Assert.Contains(problem, text, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cret", text, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", text, StringComparison.Ordinal);
        Assert.DoesNotContain("Conveyor is running", text, StringComparison.Ordinal);
    }

    public void Dispose() => _env.Dispose();
}
