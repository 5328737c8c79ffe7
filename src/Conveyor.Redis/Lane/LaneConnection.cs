using System.Buffers;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Sockets;
using Conveyor.Store;
using StackExchange.Redis;

namespace Conveyor.Redis.Lane;

/// <summary>
/// fastlane: one open RESP connection. A caller writes its command from its own thread, under a lock
/// (the pending reply joins the FIFO in the same lock, so replies match in order); one dedicated
/// thread sits in a blocking read, parses every whole reply the read brought, and completes their
/// callers in ONE thread-pool work item per read (never user code on the reader thread). When the
/// connection breaks, every call in flight fails as <see cref="StoreUnreachableException"/> (outcome
/// unknown: it was sent) and the connection is done; <see cref="RespLane"/> opens the next.
/// </summary>
internal sealed class LaneConnection : IDisposable
{
    private readonly Socket _socket;
    private readonly Stream _stream;
    private readonly Lock _write = new();
    private readonly ConcurrentQueue<Pending> _pending = new();
    private readonly RespLane _lane;
    private int _done;

    [ThreadStatic] private static ArrayBufferWriter<byte>? t_out;

    public LaneConnection(Socket socket, Stream stream, RespLane lane)
    {
        _socket = socket;
        _stream = stream;
        _lane = lane;
    }

    public bool IsDone => Volatile.Read(ref _done) == 1;

    /// <summary>Starts the reader thread (after the handshake, which runs synchronously on the opener's thread).</summary>
    public void Start() => new Thread(ReadLoop) { IsBackground = true, Name = "conveyor-fastlane" }.Start();

    /// <summary>Sends one script call; the task completes when its reply is read (or the connection breaks).</summary>
    public Task<RedisResult> Send(ReadOnlySpan<byte> head, int headCount, RedisKey[] keys, RedisValue[] args)
    {
        var w = t_out ??= new ArrayBufferWriter<byte>(4096);
        w.ResetWrittenCount();
        Resp.WriteScriptCall(w, head, headCount, keys, args);
        var p = new Pending();
        lock (_write)
        {
            if (IsDone) throw Down("the fast lane's connection is closed", outcomeUnknown: false);
            _pending.Enqueue(p);
            _lane.Counted();
            try
            {
                _stream.Write(w.WrittenSpan);
            }
            catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
            {
                Break(e); // fails this call too (outcome unknown: part of it may have been written)
            }
        }
        if (w.Capacity > 1 << 20) t_out = null; // one huge batch does not pin its buffer to the thread
        return p.Task;
    }

    /// <summary>A handshake command (RespHandshake.Command), before the reader starts.</summary>
    public RedisResult Handshake(params string[] words) => RespHandshake.Command(_stream, words);

    private void ReadLoop()
    {
        var buffer = new byte[64 * 1024];
        var filled = 0;
        try
        {
            while (true)
            {
                var n = _stream.Read(buffer, filled, buffer.Length - filled);
                if (n == 0) throw new IOException("Redis closed the connection");
                filled += n;
                var pos = 0;
                List<(Pending, RedisResult?, string?)>? batch = null;
                while (Resp.TryRead(buffer.AsSpan(0, filled), ref pos, out var result, out var error))
                {
                    if (!_pending.TryDequeue(out var p)) throw new InvalidDataException("a reply came with no call waiting for it");
                    (batch ??= new(4)).Add((p, result, error));
                }
                if (batch is not null) ThreadPool.UnsafeQueueUserWorkItem(static b => Complete(b), batch, preferLocal: false);
                if (pos > 0)
                {
                    Buffer.BlockCopy(buffer, pos, buffer, 0, filled - pos);
                    filled -= pos;
                }
                if (filled == buffer.Length) Array.Resize(ref buffer, buffer.Length * 2); // a reply larger than the buffer
            }
        }
        catch (Exception e)
        {
            Break(e);
        }
    }

    private static void Complete(List<(Pending P, RedisResult? Result, string? Error)> batch)
    {
        foreach (var (p, result, error) in batch)
        {
            if (error is null) p.TrySetResult(result!);
            else p.TrySetException(new RedisServerException(error));
        }
    }

    private void Break(Exception why)
    {
        lock (_write) // a Send either enqueued before this (and is failed below) or sees the connection done
        {
            if (_done == 1) return;
            Volatile.Write(ref _done, 1);
        }
        try { _socket.Dispose(); } catch (ObjectDisposedException) { }
        var failure = Down($"Redis dropped the fast lane's connection ({why.Message})", outcomeUnknown: true, why);
        ThreadPool.UnsafeQueueUserWorkItem(static s =>
        {
            while (s.Queue.TryDequeue(out var p)) p.TrySetException(s.Failure);
        }, (Queue: _pending, Failure: failure), preferLocal: false);
        _lane.Broken(this, why);
    }

    /// <summary>
    /// Fails every call sent longer than <paramref name="timeout"/> ago and not answered: outcome
    /// unknown (it may still run), as StackExchange.Redis' timeout is; its reply, if one comes, still
    /// takes its place in the FIFO and is dropped. The store's circuit opens on it (StoreCircuit).
    /// </summary>
    public void ExpireOlderThan(TimeSpan timeout)
    {
        var cutoff = Stopwatch.GetTimestamp() - (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        foreach (var p in _pending) // a snapshot; the oldest come first
        {
            if (p.Sent > cutoff) break;
            if (p.Task.IsCompleted || Interlocked.Exchange(ref p.Expired, 1) == 1) continue;
            var message = $"Redis did not answer in time (fast lane: no reply in {timeout.TotalMilliseconds:0} ms)";
            ThreadPool.UnsafeQueueUserWorkItem(static s => s.P.TrySetException(
                new StoreUnreachableException(s.Message, outcomeUnknown: true, new RedisTimeoutException(s.Message, CommandStatus.Sent))), (P: p, Message: message), preferLocal: false);
        }
    }

    private static StoreUnreachableException Down(string message, bool outcomeUnknown, Exception? inner = null) =>
        new($"Redis is unreachable ({message})", outcomeUnknown, inner);

    public void Dispose() => Break(new ObjectDisposedException(nameof(LaneConnection)));

    /// <summary>A call in flight. Its continuations run synchronously on the one work item that completes a read's replies.</summary>
    private sealed class Pending : TaskCompletionSource<RedisResult>
    {
        public long Sent { get; } = Stopwatch.GetTimestamp();

        /// <summary>1 once its timeout has been reported.</summary>
        public int Expired;
    }
}
