using System.Net;
using System.Net.Sockets;
using Conveyor.Client;

namespace Conveyor.EndToEnd.Tests;

/// <summary>A temp folder per test, free loopback ports, and clients for a broker.</summary>
public sealed class TestEnvironment : IDisposable
{
    public TestEnvironment()
    {
        Directory = Path.Combine(Path.GetTempPath(), "conveyor-e2e-" + Guid.NewGuid().ToString("N")[..10]);
        System.IO.Directory.CreateDirectory(Directory);
    }

    public string Directory { get; }

    public string DatabasePath => Path.Combine(Directory, "conveyor.db");

    public static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    public static (ConveyorClient Client, HttpClient Http) Client(string url, string? token = null)
    {
        var http = new HttpClient { BaseAddress = new Uri(url.TrimEnd('/') + "/"), Timeout = TimeSpan.FromSeconds(30) };
        return (new ConveyorClient(http, token), http);
    }

    public void Dispose()
    {
        try { System.IO.Directory.Delete(Directory, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
