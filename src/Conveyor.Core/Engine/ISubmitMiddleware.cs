using Conveyor.Model;

namespace Conveyor.Engine;

/// <summary>The rest of a submit chain: the next middleware, and at the end the submit itself.</summary>
public delegate ValueTask<IReadOnlyList<EnqueueResult>> SubmitDelegate(IReadOnlyList<TaskSubmission> submissions, CancellationToken ct);

/// <summary>
/// Producer-side middleware (Sidekiq's client middleware), run in registration order around every
/// submit of <see cref="TaskEngine.SubmitMany"/> (HTTP routes, CLI, seed routes, in-process producers)
/// and of the HTTP <c>ConveyorClient</c>. A middleware may change the submissions (add metadata: tags,
/// a tenant, a correlation id), refuse them by throwing, or answer without calling <c>next</c>.
/// Register with <c>services.AddConveyorSubmitMiddleware&lt;T&gt;()</c>, or set
/// <see cref="TaskEngine.SubmitMiddleware"/> / <c>ConveyorClient.SubmitMiddleware</c>.
/// </summary>
public interface ISubmitMiddleware
{
    ValueTask<IReadOnlyList<EnqueueResult>> InvokeAsync(IReadOnlyList<TaskSubmission> submissions, SubmitDelegate next, CancellationToken ct);
}

/// <summary>Composes a submit chain once: the first middleware is the outermost.</summary>
public static class SubmitPipeline
{
    public static SubmitDelegate Build(IReadOnlyList<ISubmitMiddleware> middleware, SubmitDelegate submit)
    {
        ArgumentNullException.ThrowIfNull(middleware);
        var next = submit;
        for (var i = middleware.Count - 1; i >= 0; i--)
        {
            var m = middleware[i];
            var inner = next;
            next = (s, ct) => m.InvokeAsync(s, inner, ct);
        }
        return next;
    }
}
