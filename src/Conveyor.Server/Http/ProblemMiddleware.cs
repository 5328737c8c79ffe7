using Conveyor.Client.Protocol;
using Conveyor.Engine;

namespace Conveyor.Server.Http;

/// <summary>
/// Turns refusals into RFC 9457 problems: <see cref="ProblemException"/> as given, engine validation
/// as 400 (413 when only a size limit was crossed), a store out of room as 507, a store that does not
/// answer as 503 (never sent) or 504 (sent, outcome unknown), Kestrel's body limit as 413, and empty 404/405/415
/// answers of the router into problems too. Anything else is a 500 without internals.
/// </summary>
internal sealed class ProblemMiddleware(RequestDelegate next, ILogger<ProblemMiddleware> log)
{
    public async Task InvokeAsync(HttpContext ctx)
    {
        try
        {
            await next(ctx);
            if (!ctx.Response.HasStarted && ctx.Response.ContentLength is null && ctx.Response.ContentType is null)
            {
                if (ctx.Response.StatusCode == StatusCodes.Status404NotFound)
                    await ProblemWriter.Write(ctx, 404, ProblemTypes.NotFound, "Not found", $"no route {ctx.Request.Method} {ctx.Request.Path}");
                else if (ctx.Response.StatusCode == StatusCodes.Status405MethodNotAllowed)
                    await ProblemWriter.Write(ctx, 405, ProblemTypes.MethodNotAllowed, "Method not allowed", $"{ctx.Request.Path} does not answer {ctx.Request.Method}");
                else if (ctx.Response.StatusCode == StatusCodes.Status415UnsupportedMediaType)
                    await ProblemWriter.Write(ctx, 415, ProblemTypes.UnsupportedMediaType, "Unsupported media type", $"send the body as application/json, not {ctx.Request.ContentType}");
            }
        }
        catch (ProblemException p) when (!ctx.Response.HasStarted)
        {
            await ProblemWriter.Write(ctx, p);
        }
        catch (ConveyorValidationException v) when (!ctx.Response.HasStarted)
        {
            var errors = v.Errors.Select(e => new FieldError(e.Field, e.Message)).ToList();
            if (v.IsTooLarge)
                await ProblemWriter.Write(ctx, 413, ProblemTypes.PayloadTooLarge, "A value is too large", v.Message, errors);
            else
                await ProblemWriter.Write(ctx, 400, ProblemTypes.Validation, "The request is not valid", v.Message, errors);
        }
        catch (Conveyor.Store.StoreFullException f) when (!ctx.Response.HasStarted)
        {
            // The store logs one warning per episode; a full disk must not cost a stack trace per request.
            await ProblemWriter.Write(ctx, 507, ProblemTypes.InsufficientStorage, "The store has no room", f.Message);
        }
        catch (Conveyor.Store.StoreFailedException f) when (!ctx.Response.HasStarted)
        {
            // The store logged it once; 500 for the batch whose sync failed (it may be on disk), 503 after (nothing stored).
            if (f.OutcomeUnknown) await ProblemWriter.Write(ctx, 500, ProblemTypes.Internal, "The store failed writing this request", f.Message);
            else await ProblemWriter.Write(ctx, 503, ProblemTypes.Unavailable, "The store refuses writes", f.Message);
        }
        catch (BadHttpRequestException b) when (!ctx.Response.HasStarted)
        {
            if (b.StatusCode == StatusCodes.Status413PayloadTooLarge)
                await ProblemWriter.Write(ctx, 413, ProblemTypes.PayloadTooLarge, "The request body is too large", b.Message);
            else
                await ProblemWriter.Write(ctx, b.StatusCode, ProblemTypes.Validation, "Bad request", b.Message);
        }
        catch (OperationCanceledException) when (ctx.RequestAborted.IsCancellationRequested)
        {
            // The client went away (a long poll it gave up on): nothing to answer.
        }
        catch (Exception e) when (!ctx.Response.HasStarted && Conveyor.Store.StoreUnreachableException.Find(e) is { } u)
        {
            // The store does not answer (Redis not up, a partition, RabbitMQ down): bounded by its command
            // timeout, logged by the store once per episode, so no stack trace per request here.
            ctx.Response.Headers.RetryAfter = ((int)Conveyor.Store.StoreUnreachableException.RetryAfter.TotalSeconds).ToString(System.Globalization.CultureInfo.InvariantCulture);
            var why = Conveyor.Store.StoreUnreachableException.Brief(u);
            if (u.OutcomeUnknown) await ProblemWriter.Write(ctx, 504, ProblemTypes.StoreTimeout, "The store did not answer in time", why + "; the request may or may not have been applied");
            else await ProblemWriter.Write(ctx, 503, ProblemTypes.Unavailable, "The store is unreachable", why + "; nothing of this request was stored, retry later (GET /readyz says when the store is back)");
        }
        catch (Exception e) when (!ctx.Response.HasStarted)
        {
            log.LogError(e, "Unhandled error on {Method} {Path}", ctx.Request.Method, ctx.Request.Path);
            await ProblemWriter.Write(ctx, 500, ProblemTypes.Internal, "Internal error", "the server failed; see its log under the trace id");
        }
    }
}
