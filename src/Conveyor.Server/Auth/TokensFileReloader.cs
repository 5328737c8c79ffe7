using Microsoft.Extensions.Hosting;

namespace Conveyor.Server.Auth;

/// <summary>
/// Rotates tokens without a restart: reloads <see cref="ServerOptions.TokensFile"/> when it changes.
/// A <see cref="FileSystemWatcher"/> on its directory notices most changes at once (editors that
/// write a new file and rename it over the old one included); a check of the file's modification
/// time and length every <see cref="PollInterval"/> catches what a watcher misses (network
/// filesystems, bind mounts, a full event buffer). The file's tokens are replaced as one set; the
/// tokens that came from elsewhere (CONVEYOR_TOKENS, API_SECRET_TOKEN) stay. A new file that cannot
/// be read or parsed, or that would leave the server with no token at all (which would make it an
/// open server), keeps the tokens in force and logs one warning line per distinct problem. The
/// dashboard's cookies are checked against the current set on every request, so a removed token's
/// sessions end with it.
/// </summary>
internal sealed partial class TokensFileReloader(ServerOptions server, TimeProvider time, ILogger<TokensFileReloader> log) : IHostedService, IDisposable
{
    public static readonly TimeSpan PollInterval = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan Settle = TimeSpan.FromMilliseconds(100);

    private readonly Lock _gate = new();
    private string _path = "";
    private ApiToken[] _others = [];
    private (DateTime, long) _seen;
    private string? _lastProblem;
    private FileSystemWatcher? _watcher;
    private ITimer? _poll;
    private ITimer? _settle;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (server.TokensFile is not { Length: > 0 } file) return Task.CompletedTask;
        _path = Path.GetFullPath(file);
        _seen = Stamp();
        // The tokens that did not come from the file stay whatever the file becomes.
        var fromFile = TryLoad(out var loaded, out _) ? loaded.Select(t => Convert.ToHexString(t.Sha256)).ToHashSet() : [];
        _others = [.. server.Tokens.Where(t => !fromFile.Contains(Convert.ToHexString(t.Sha256)))];
        try
        {
            _watcher = new FileSystemWatcher(Path.GetDirectoryName(_path)!, Path.GetFileName(_path))
            {
                NotifyFilter = NotifyFilters.LastWrite | NotifyFilters.FileName | NotifyFilters.Size | NotifyFilters.CreationTime,
            };
            _watcher.Changed += (_, _) => Soon();
            _watcher.Created += (_, _) => Soon();
            _watcher.Renamed += (_, _) => Soon();
            _watcher.Deleted += (_, _) => Soon();
            _watcher.EnableRaisingEvents = true;
        }
        catch (Exception e) when (e is IOException or ArgumentException or PlatformNotSupportedException or UnauthorizedAccessException)
        {
            LogNoWatcher(log, _path, e.Message);
        }
        _poll = time.CreateTimer(_ => { if (Stamp() != _seen) Reload(); }, null, PollInterval, PollInterval);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        Dispose();
        return Task.CompletedTask;
    }

    public void Dispose()
    {
        _watcher?.Dispose();
        _poll?.Dispose();
        _settle?.Dispose();
    }

    /// <summary>A watcher fires several events for one save: reload once, shortly after the last.</summary>
    private void Soon()
    {
        lock (_gate)
        {
            _settle ??= time.CreateTimer(_ => Reload(), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            _settle.Change(Settle, Timeout.InfiniteTimeSpan);
        }
    }

    /// <summary>Reads the file now and, when it parses to a usable set, puts it in force.</summary>
    internal void Reload()
    {
        lock (_gate)
        {
            _seen = Stamp();
            if (!TryLoad(out var loaded, out var problem))
            {
                Warn(problem);
                return;
            }
            ApiToken[] next = [.. _others, .. loaded];
            if (next.Length == 0)
            {
                Warn("it lists no token, and a server with no token would be open to anonymous callers");
                return;
            }
            var before = server.Tokens.Snapshot;
            if (before.Count == next.Length && before.Zip(next).All(p => p.First.Sha256.AsSpan().SequenceEqual(p.Second.Sha256) && p.First.Scopes.SetEquals(p.Second.Scopes) && p.First.Name == p.Second.Name))
                return;
            server.Tokens.Replace(next);
            _lastProblem = null;
            LogReloaded(log, _path, loaded.Count, next.Length);
        }
    }

    private void Warn(string problem)
    {
        if (problem == _lastProblem) return;
        _lastProblem = problem;
        LogRefused(log, _path, problem, server.Tokens.Count);
    }

    private bool TryLoad(out IReadOnlyList<ApiToken> tokens, out string problem)
    {
        try
        {
            tokens = ApiTokens.LoadFile(_path);
            problem = "";
            return true;
        }
        catch (Exception e) when (e is FormatException or IOException or UnauthorizedAccessException)
        {
            tokens = [];
            problem = e.Message;
            return false;
        }
    }

    private (DateTime, long) Stamp()
    {
        try
        {
            var info = new FileInfo(_path);
            return info.Exists ? (info.LastWriteTimeUtc, info.Length) : default;
        }
        catch (IOException)
        {
            return default;
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "tokens file {Path} reloaded: {FromFile} token(s) from the file, {Total} in force")]
    private static partial void LogReloaded(ILogger logger, string path, int fromFile, int total);

    [LoggerMessage(Level = LogLevel.Warning, Message = "tokens file {Path} changed but was NOT loaded ({Problem}); the {Count} token(s) in force stay")]
    private static partial void LogRefused(ILogger logger, string path, string problem, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "tokens file {Path}: no file watcher ({Problem}); changes are noticed by the periodic check only")]
    private static partial void LogNoWatcher(ILogger logger, string path, string problem);
}
