using System.Text.Json;
using System.Threading.Channels;
using Conveyor.Client.Protocol;
using Conveyor.Engine;
using Conveyor.Json;
using Conveyor.Server.Auth;
using Conveyor.Server.Http;
using Conveyor.Store;
using Microsoft.AspNetCore.Mvc;

namespace Conveyor.Server.Api;

/// <summary>
/// <c>GET /api/v1/events</c>: server-sent events. <c>event: task</c> for every state change the store
/// reports (EventsSubscribe), <c>event: stats</c> every StatsInterval with the queue counts and the
/// live worker count. Best effort: a slow reader loses the oldest events, never blocks the store.
/// </summary>
internal static class EventEndpoints
{
    private sealed record Message(string Event, string Data);

    public static void Map(IEndpointRouteBuilder app) =>
        app.MapGet(Routes.Events, Stream).RequireScope(Scopes.Submit, Scopes.Work).WithTags("Events")
            .Produces(200, contentType: "text/event-stream").WithName("EventsSubscribe")
            .WithSummary("Server-sent events: `task` (task_id, queue, type, state, at) and periodic `stats` (queues, workers)");

    private static async Task Stream(HttpContext ctx, [FromQuery] string? queue, TaskEngine engine, ServerOptions options, TimeProvider time)
    {
        using var poll = LongPoll.Token(ctx);
        var ct = poll.Token;
        var channel = Channel.CreateBounded<Message>(new BoundedChannelOptions(1024) { FullMode = BoundedChannelFullMode.DropOldest });
        using var subscription = engine.EventsSubscribe(e =>
        {
            if (queue is null || e.Queue == queue) channel.Writer.TryWrite(new Message("task", JsonSerializer.Serialize(e, ConveyorJson.Options)));
        });
        ctx.Response.ContentType = "text/event-stream";
        ctx.Response.Headers.CacheControl = "no-cache";
        ctx.Response.Headers["X-Accel-Buffering"] = "no";
        await ctx.Response.WriteAsync(": conveyor events\n\n", ct);
        await ctx.Response.Body.FlushAsync(ct);

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var stats = Stats(engine, options, time, channel.Writer, stop.Token);
        try
        {
            await foreach (var m in channel.Reader.ReadAllAsync(ct))
            {
                await ctx.Response.WriteAsync($"event: {m.Event}\ndata: {m.Data}\n\n", ct);
                await ctx.Response.Body.FlushAsync(ct);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested) { } // client gone or server stopping
        finally
        {
            await stop.CancelAsync();
            try { await stats; } catch (OperationCanceledException) { }
        }
    }

    private static async Task Stats(TaskEngine engine, ServerOptions options, TimeProvider time, ChannelWriter<Message> writer, CancellationToken ct)
    {
        using var timer = new PeriodicTimer(options.StatsInterval, time);
        do
        {
            var queues = await engine.QueueList(ct);
            var workers = await engine.WorkerList(options.WorkerLiveWithin, ct);
            var data = JsonSerializer.Serialize(new { queues, workers = workers.Live.Count, at = time.GetUtcNow() }, ConveyorJson.Options);
            writer.TryWrite(new Message("stats", data));
        } while (await timer.WaitForNextTickAsync(ct));
    }
}
