using System.Text.Json;
using Conveyor.Json;
using Microsoft.Extensions.DependencyInjection;

namespace Conveyor.Worker;

/// <summary>One registered kind: binds the args to the handler's declared type and calls it.</summary>
internal abstract class HandlerInvoker(string kind)
{
    public string Kind { get; } = kind;

    public virtual bool NeedsServices => false;

    public abstract ValueTask<object?> Invoke(JsonElement args, TaskContext context);

    /// <summary>
    /// Binds args to <typeparamref name="TArgs"/>, the handler's declared type and only that: a payload
    /// can never name a type to load. Args that do not bind fail permanently: retrying cannot fix them.
    /// </summary>
    protected TArgs Bind<TArgs>(JsonElement args)
    {
        if (typeof(TArgs) == typeof(JsonElement)) return (TArgs)(object)args;
        TArgs? bound;
        try
        {
            bound = args.Deserialize<TArgs>(ConveyorJson.Options);
        }
        catch (Exception ex) when (ex is JsonException or NotSupportedException or InvalidOperationException or FormatException)
        {
            throw new PermanentTaskFailure($"the args of a '{Kind}' task do not fit {typeof(TArgs).Name}: {ex.Message}", "invalid_args", ex);
        }
        if (bound is null)
            throw new PermanentTaskFailure($"a '{Kind}' task needs args: a JSON {(typeof(TArgs).IsClass ? "object" : "value")} for {typeof(TArgs).Name}, not null", "invalid_args");
        return bound;
    }
}

internal sealed class InstanceInvoker<TArgs>(string kind, ITaskHandler<TArgs> handler) : HandlerInvoker(kind)
{
    public override ValueTask<object?> Invoke(JsonElement args, TaskContext context) =>
        handler.HandleAsync(Bind<TArgs>(args), context);
}

internal sealed class DelegateInvoker<TArgs>(string kind, Func<TArgs, TaskContext, ValueTask<object?>> handler) : HandlerInvoker(kind)
{
    public override ValueTask<object?> Invoke(JsonElement args, TaskContext context) =>
        handler(Bind<TArgs>(args), context);
}

/// <summary>A handler type resolved from the task's own DI scope, so scoped dependencies live for one task.</summary>
internal sealed class ServiceInvoker<THandler, TArgs>(string kind) : HandlerInvoker(kind)
    where THandler : class, ITaskHandler<TArgs>
{
    public override bool NeedsServices => true;

    public override ValueTask<object?> Invoke(JsonElement args, TaskContext context)
    {
        var bound = Bind<TArgs>(args);
        var handler = context.Services.GetRequiredService<THandler>();
        return handler.HandleAsync(bound, context);
    }
}
