using Microsoft.Extensions.Hosting;

namespace Conveyor.Server.Http;

/// <summary>
/// Long polls (lease wait, task wait, event streams) end when the client leaves OR the server stops:
/// a stopping server answers "nothing yet" at once instead of holding shutdown for up to a minute.
/// </summary>
internal static class LongPoll
{
    public static CancellationTokenSource Token(HttpContext ctx) =>
        CancellationTokenSource.CreateLinkedTokenSource(ctx.RequestAborted,
            ctx.RequestServices.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping);

    /// <summary>Runs a long poll; when the server is stopping (not the client leaving), answers <paramref name="onStopping"/>.</summary>
    public static async Task<T> Run<T>(HttpContext ctx, Func<CancellationToken, ValueTask<T>> poll, Func<T> onStopping)
    {
        using var cts = Token(ctx);
        try
        {
            return await poll(cts.Token);
        }
        catch (OperationCanceledException) when (!ctx.RequestAborted.IsCancellationRequested && cts.IsCancellationRequested)
        {
            return onStopping();
        }
    }
}
