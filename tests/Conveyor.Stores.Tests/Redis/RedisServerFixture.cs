namespace Conveyor.Stores.Tests.Redis;

/// <summary>
/// A real standalone redis-server on a free loopback port (no persistence, a temp dir), shared by a
/// test class and killed on dispose. Fails loudly when redis-server is not installed.
/// </summary>
public sealed class RedisServerFixture : IDisposable
{
    private readonly RedisProcess _server;

    public RedisServerFixture()
    {
        Dir = Path.Combine(Path.GetTempPath(), "conveyor-redis-" + Guid.NewGuid().ToString("N")[..8]);
        _server = new RedisProcess(RedisProcess.FreePort(), Dir);
        _server.Start();
    }

    public string Dir { get; }
    public int Port => _server.Port;
    public string ConnectionString => $"127.0.0.1:{Port}";

    public string Command(string inline) => _server.Command(inline);

    /// <summary>Kills the server (as a crash would).</summary>
    public void Kill() => _server.Kill();

    /// <summary>Starts it again on the same port.</summary>
    public void Restart() => _server.Start();

    public void Dispose()
    {
        _server.Dispose();
        try { Directory.Delete(Dir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
