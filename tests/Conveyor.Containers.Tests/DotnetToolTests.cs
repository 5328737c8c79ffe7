using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Xunit.Abstractions;

namespace Conveyor.Containers.Tests;

/// <summary>
/// <c>conveyor</c> as a .NET tool: packed from src/Conveyor.Cli, installed into a temporary tool
/// path from that package alone (a nuget.config with only the package's folder, so nothing comes
/// from a feed), then run: --version, --help, and a broker that `conveyor health` finds healthy.
/// </summary>
public sealed class DotnetToolTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("conveyor-tool-").FullName;

    [Fact]
    public async Task The_packed_tool_installs_and_runs()
    {
        var clock = Stopwatch.StartNew();
        var feed = Path.Combine(_dir, "feed");
        var tools = Path.Combine(_dir, "tools");
        // The solution is built before the tests run (./test.sh), so pack only packages what is built.
        var pack = (await Command.Run("dotnet", ["pack", Path.Combine(Repository.Root, "src", "Conveyor.Cli"), "-c", "Release", "--no-build", "-nologo", "-o", feed],
            TimeSpan.FromMinutes(5))).Ok();
        var package = Assert.Single(Directory.GetFiles(feed, "Conveyor.Cli.*.nupkg"));
        output.WriteLine($"dotnet pack: {pack.Elapsed.TotalSeconds:F1}s -> {Path.GetFileName(package)}");
        var version = Path.GetFileNameWithoutExtension(package)["Conveyor.Cli.".Length..];

        var config = Path.Combine(_dir, "nuget.config");
        await File.WriteAllTextAsync(config, $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration><packageSources><clear /><add key="conveyor" value="{feed}" /></packageSources></configuration>
            """);
        var install = (await Command.Run("dotnet", ["tool", "install", "Conveyor.Cli", "--tool-path", tools, "--configfile", config, "--version", version],
            TimeSpan.FromMinutes(3), workingDirectory: _dir)).Ok();
        output.WriteLine($"dotnet tool install: {install.Elapsed.TotalSeconds:F1}s");
        var conveyor = Path.Combine(tools, "conveyor");
        Assert.True(File.Exists(conveyor), $"no {conveyor} after install:\n{install.Output}");

        var v = (await Command.Run(conveyor, ["--version"], TimeSpan.FromSeconds(60), workingDirectory: _dir)).Ok();
        Assert.StartsWith(version, v.Stdout.Trim(), StringComparison.Ordinal);
        var help = (await Command.Run(conveyor, ["--help"], TimeSpan.FromSeconds(60), workingDirectory: _dir)).Ok();
        foreach (var command in new[] { "up", "server", "worker", "submit", "health" })
            Assert.Matches($@"(?m)^\s+{command}\b", help.Stdout);

        // The installed tool runs a broker (ASP.NET Core and the stores resolve from the package).
        var port = FreePort().ToString(CultureInfo.InvariantCulture);
        var url = $"http://127.0.0.1:{port}/healthz";
        Assert.Equal(1, (await Command.Run(conveyor, ["health", "--url", url], TimeSpan.FromSeconds(30), workingDirectory: _dir)).ExitCode);
        var server = Process.Start(new ProcessStartInfo(conveyor, ["server", "--store", ":memory:", "--port", port])
        {
            WorkingDirectory = _dir, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        })!;
        try
        {
            CommandResult? last = null;
            await Command.Until(async () => (last = await Command.Run(conveyor, ["health", "--url", url], TimeSpan.FromSeconds(30), workingDirectory: _dir)).ExitCode == 0,
                TimeSpan.FromSeconds(60), "the installed tool's broker answers /healthz", () => Task.FromResult(last?.Output ?? ""));
            Assert.Contains("healthy", last!.Stdout, StringComparison.Ordinal);
        }
        finally
        {
            server.Kill(entireProcessTree: true);
            await server.WaitForExitAsync();
            server.Dispose();
        }
        output.WriteLine($"pack, install and run: {clock.Elapsed.TotalSeconds:F1}s");
    }

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
