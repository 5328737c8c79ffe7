using System.Globalization;

namespace Conveyor.EndToEnd.Tests.Configuration;

/// <summary>
/// Bad settings stop a real <c>conveyor</c> process before it starts: one line that names the key
/// and the value, exit code 2, no stack trace, and no store created. From a flag, from a
/// <c>CONVEYOR__Section__Key</c> variable, and from <c>appsettings.json</c> alike.
/// </summary>
public sealed class BadSettingsTests : IDisposable
{
    private readonly TestEnvironment _env = new();

    public void Dispose() => _env.Dispose();

    public static TheoryData<string[], string, string> FlagCases() => new()
    {
        { ["worker", "--concurrency", "-3", "--store", ":memory:"], "Worker:Concurrency = '-3'", "must be between 1 and 10000" },
        { ["up", "--concurrency", "lots"], "Worker:Concurrency: 'lots'", "is not a whole number" },
        { ["up", "--store", "postgres://db/x"], "Store:Location: 'postgres://db/x'", "is neither a file path" },
        { ["up", "--store", "redis://127.0.0.1:1?fastlane=fast"], "Store:Location: 'redis://127.0.0.1:1?fastlane=fast'", "fastlane must be on or off; got 'fast'" },
        { ["server", "--port", "70000"], "Server:Port = '70000'", "must be between 0 and 65535" },
        { ["up", "--lease-duration", "soon"], "Worker:LeaseDuration: 'soon'", "is not a duration" },
        { ["up", "--drain-timeout", "-5s"], "Worker:DrainTimeout: '-5s'", "is negative" },
        { ["server", "--tls-cert", "/no/such/cert.pem", "--tls-key", "/no/such/key.pem"], "Server:Tls:CertificateFile = '/no/such/cert.pem'", "cannot read the TLS certificate" },
        { ["server", "--log-format", "xml"], "Logging:Console:FormatterName = 'xml'", "must be one of simple, json, systemd" },
        { ["worker", "--metrics-port", "0", "--store", ":memory:"], "Telemetry:MetricsPort = '0'", "must be between 1 and 65535" },
        { ["server", "--config", "/no/such/settings.json"], "--config: '/no/such/settings.json'", "does not exist" },
    };

    [Theory]
    [MemberData(nameof(FlagCases))]
    public async Task A_bad_flag_stops_the_start_with_one_line_naming_the_key(string[] args, string names, string problem)
    {
        var (code, output) = await ConveyorProcess.Run(_env.Directory, args);
        AssertRefused(code, output, names, problem);
    }

    [Fact]
    public async Task A_malformed_tokens_file_is_named_with_its_line_number()
    {
        var file = Path.Combine(_env.Directory, "tokens.txt");
        await File.WriteAllTextAsync(file, "# broker tokens\nsha256:" + new string('a', 64) + " admin ops\nadmin:plain-secret\n");
        var (code, output) = await ConveyorProcess.Run(_env.Directory, "server", "--tokens-file", file);
        AssertRefused(code, output, $"Auth:TokensFile = '{file}'", $"{file}:3:");
    }

    [Fact]
    public async Task An_unreadable_certificate_is_named_by_its_file()
    {
        var cert = Path.Combine(_env.Directory, "broker.pem");
        await File.WriteAllTextAsync(cert, "-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----\n");
        var (code, output) = await ConveyorProcess.Run(_env.Directory, "server", "--tls-cert", cert, "--tls-key", cert);
        AssertRefused(code, output, $"'{cert}'", "cannot read the TLS certificate");
    }

    [Fact]
    public async Task A_bad_environment_variable_is_named_by_its_key()
    {
        var env = new Dictionary<string, string> { ["CONVEYOR__Worker__Concurrency"] = "-1" };
        var (code, output) = await RunWith(env, "up");
        AssertRefused(code, output, "Worker:Concurrency = '-1'", "must be between 1 and 10000");
    }

    [Fact]
    public async Task A_bad_value_in_appsettings_json_is_named_by_its_key()
    {
        await File.WriteAllTextAsync(Path.Combine(_env.Directory, "appsettings.json"), """{ "Store": { "Location": "mongodb://db" } }""");
        var (code, output) = await ConveyorProcess.Run(_env.Directory, "up");
        AssertRefused(code, output, "Store:Location: 'mongodb://db'", "is neither a file path");
    }

    [Fact]
    public async Task A_settings_file_that_is_not_json_is_refused_by_name()
    {
        var file = Path.Combine(_env.Directory, "broken.json");
        await File.WriteAllTextAsync(file, "{ \"Server\": { \"Port\": ");
        var (code, output) = await ConveyorProcess.Run(_env.Directory, "server", "--config", file);
        Assert.True(code == 2, $"exit {code.ToString(CultureInfo.InvariantCulture)}:\n{output}");
        Assert.Contains("broken.json", output, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", output, StringComparison.Ordinal);
    }

    private async Task<(int, string)> RunWith(Dictionary<string, string> env, params string[] args)
    {
        await using var p = ConveyorProcess.Start(_env.Directory, env, args);
        var code = await p.WaitForExit(TimeSpan.FromMinutes(2));
        return (code, p.Output);
    }

    private void AssertRefused(int code, string output, string names, string problem)
    {
        Assert.True(code == 2, $"exit {code.ToString(CultureInfo.InvariantCulture)}, expected 2; output:\n{output}");
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.True(lines.Length == 1, $"one line expected, got {lines.Length.ToString(CultureInfo.InvariantCulture)}:\n{output}");
        Assert.Contains(names, lines[0], StringComparison.Ordinal);
        Assert.Contains(problem, lines[0], StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", output, StringComparison.Ordinal);
        Assert.False(File.Exists(_env.DatabasePath), "a refused start created no store");
    }
}
