using System.Buffers;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Conveyor.Redis.Lane;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace Conveyor.Redis.Signals;

/// <summary>
/// parklist: the blocking connections parked leasers wait on (RedisTaskStore.Parked.cs). A park of
/// this kind names a list ("LPUSH &lt;queue tag&gt;:pl:&lt;park id&gt;" in its record), park_handoff
/// (Lua/Lib.lua) pushes the hand-off there, and the leaser waits in a <c>BLPOP</c> of that list on a
/// connection of its own, read by a dedicated thread blocked in a synchronous read: Redis itself wakes
/// it, and the park's answer (the waiter's continuations, up to the handler's start) runs on that
/// thread, without StackExchange.Redis' pub/sub hand-offs or a thread-pool hop. One connection carries
/// one BLPOP at a time; it goes back to the pool (per endpoint: on a Cluster, the node of the queue's
/// slot) only after the reply is read and the answer has run, so a handler that blocks the reader's
/// thread holds up no other park. A connection that cannot be had (TLS, a proxy, a refused connect)
/// leaves the park on the pub/sub channel, as before.
/// </summary>
internal sealed class ParkLines : IDisposable
{
    private readonly IConnectionMultiplexer _mux;
    private readonly ConfigurationOptions? _configuration;
    private readonly int _database;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<EndPoint, ConcurrentBag<ParkLine>> _idle = new();
    private readonly ConcurrentDictionary<ParkLine, byte> _all = new();
    private readonly CancellationTokenSource _closing = new();
    private long _calls;
    private long _refusedUntil;

    public ParkLines(IConnectionMultiplexer mux, ConfigurationOptions? configuration, int database, ILogger logger)
    {
        _mux = mux;
        _configuration = configuration;
        _database = database;
        _logger = logger;
    }

    /// <summary>False where a line cannot apply: no configuration to connect with, TLS, a proxy.</summary>
    public bool Applies => _configuration is { Ssl: false, Proxy: Proxy.None };

    /// <summary>BLPOPs sent so far (the bench adds them to the client's command count).</summary>
    public long Calls => Interlocked.Read(ref _calls);

    internal void Counted() => Interlocked.Increment(ref _calls);

    /// <summary>An idle line to the node that holds <paramref name="key"/>, connected now if none is idle; null when none can be had.</summary>
    public async ValueTask<ParkLine?> Rent(RedisKey key)
    {
        if (!Applies || _closing.IsCancellationRequested) return null;
        if (Environment.TickCount64 < Interlocked.Read(ref _refusedUntil)) return null;
        EndPoint? endpoint;
        try
        {
            endpoint = _mux.GetServer(key).EndPoint;
        }
        catch (Exception e) when (e is RedisException or InvalidOperationException or NotSupportedException)
        {
            return null;
        }
        var bag = _idle.GetOrAdd(endpoint, static _ => []);
        while (bag.TryTake(out var line))
            if (!line.IsDone) return line;
        try
        {
            var opened = await Connect(endpoint).ConfigureAwait(false);
            _all[opened] = 0;
            opened.Start();
            return opened;
        }
        catch (Exception e) when (e is SocketException or IOException or RedisException or OperationCanceledException or InvalidDataException)
        {
            // Not again for a second: parks wait on pub/sub meanwhile.
            Interlocked.Exchange(ref _refusedUntil, Environment.TickCount64 + 1000);
            _logger.LogDebug(e, "park line: could not connect to {Endpoint}; parked leasers wait on pub/sub meanwhile", endpoint);
            return null;
        }
    }

    internal void Return(ParkLine line)
    {
        if (line.IsDone || _closing.IsCancellationRequested) { Forget(line); return; }
        _idle.GetOrAdd(line.Endpoint, static _ => []).Add(line);
    }

    internal void Forget(ParkLine line)
    {
        _all.TryRemove(line, out _);
        line.Dispose();
    }

    private async Task<ParkLine> Connect(EndPoint endpoint)
    {
        var c = _configuration!;
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            var stream = await RespHandshake.Open(socket, endpoint, c, _closing.Token).ConfigureAwait(false);
            RespHandshake.SelectAndName(stream, _database, c, "-park");
            var line = new ParkLine(socket, stream, endpoint, this);
            socket.ReceiveTimeout = 0; // the reader blocks until the BLPOP answers (its own timeout bounds it)
            socket.SendTimeout = 5000;
            return line;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        _closing.Cancel();
        foreach (var line in _all.Keys) Forget(line);
    }
}

/// <summary>
/// parklist: one blocking connection of <see cref="ParkLines"/>, carrying one park's BLPOP at a time,
/// read by its own thread. The BLPOP is sent again when it times out while its park is still open (a
/// park outlives a BLPOP's timeout only with a test's fake clock); it ends with the hand-off, with the
/// "-" TaskUnpark pushes when the waiter took its park back, or with the connection.
/// </summary>
internal sealed class ParkLine : IDisposable
{
    /// <summary>A BLPOP's own timeout, seconds (longer than a park's lapse; a backstop, never the normal end).</summary>
    private const string BlockSeconds = "5";

    private readonly Socket _socket;
    private readonly NetworkStream _stream;
    private readonly ParkLines _lines;
    private readonly SemaphoreSlim _work = new(0);
    private volatile Job? _job;
    private int _done;

    public ParkLine(Socket socket, NetworkStream stream, EndPoint endpoint, ParkLines lines)
    {
        _socket = socket;
        _stream = stream;
        Endpoint = endpoint;
        _lines = lines;
    }

    public EndPoint Endpoint { get; }

    public bool IsDone => Volatile.Read(ref _done) == 1;

    public void Start() => new Thread(ReadLoop) { IsBackground = true, Name = "conveyor-park" }.Start();

    /// <summary>
    /// Starts the park's wait: BLPOP of <paramref name="list"/>; <paramref name="answer"/> runs on this
    /// line's thread with the popped hand-off while <paramref name="open"/> says the park is still open
    /// (and takes it), <paramref name="done"/> once the BLPOP is over, whatever it answered. False (and
    /// neither runs) when the connection is gone: the park then waits as a park whose message was lost.
    /// </summary>
    public bool Block(RedisKey list, Func<byte[], bool> answer, Func<bool> open, Action done)
    {
        if (IsDone) return false;
        var job = new Job(list, answer, open, done);
        _job = job;
        if (!Send(job)) { _job = null; return false; }
        _work.Release();
        return true;
    }

    private bool Send(Job job)
    {
        var w = new ArrayBufferWriter<byte>(128);
        Resp.WriteCommand(w, "BLPOP", (string)job.List!, BlockSeconds);
        try
        {
            _stream.Write(w.WrittenSpan);
            _lines.Counted();
            return true;
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
        {
            Break();
            return false;
        }
    }

    private void ReadLoop()
    {
        var buffer = new byte[16 * 1024];
        var filled = 0;
        try
        {
            while (true)
            {
                _work.Wait();
                if (IsDone) return;
                var job = _job!;
                while (true)
                {
                    RedisResult? result;
                    string? error;
                    var pos = 0;
                    while (!Resp.TryRead(buffer.AsSpan(0, filled), ref pos, out result, out error))
                    {
                        if (filled == buffer.Length) Array.Resize(ref buffer, buffer.Length * 2);
                        var n = _stream.Read(buffer, filled, buffer.Length - filled);
                        if (n == 0) throw new IOException("Redis closed the connection");
                        filled += n;
                        pos = 0;
                    }
                    Buffer.BlockCopy(buffer, pos, buffer, 0, filled - pos);
                    filled -= pos;
                    if (error is not null) throw new RedisServerException(error); // MOVED on a resharded Cluster: the line goes
                    if (result!.IsNull) // timed out
                    {
                        if (job.Open() && Send(job)) continue;
                        break;
                    }
                    var popped = (RedisResult[])result!;
                    var bytes = (byte[]?)popped[1];
                    if (bytes is { Length: > 1 } && job.Answer(bytes)) break;
                    // "-" (TaskUnpark: the waiter took its park back) or a hand-off its park no longer
                    // waits for: the BLPOP is over unless the park is still open (then it waits on).
                    if (job.Open() && Send(job)) continue;
                    break;
                }
                _job = null;
                job.Done();
                _lines.Return(this);
            }
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or InvalidDataException or RedisServerException or InvalidCastException)
        {
            var job = _job;
            _job = null;
            Break();
            job?.Done();
            _lines.Forget(this);
        }
    }

    private void Break()
    {
        if (Interlocked.Exchange(ref _done, 1) == 1) return;
        try { _socket.Dispose(); } catch (ObjectDisposedException) { }
        _work.Release(); // an idle reader wakes and ends
    }

    public void Dispose() => Break();

    private sealed record Job(RedisKey List, Func<byte[], bool> Answer, Func<bool> Open, Action Done);
}
