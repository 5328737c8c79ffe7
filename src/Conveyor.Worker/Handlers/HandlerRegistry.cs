using System.Collections.Frozen;
using System.Text.Json;
using Conveyor.Engine;

namespace Conveyor.Worker;

/// <summary>
/// Handlers by kind (the task's <c>type</c>). Kinds follow the task type rules; a bad or repeated
/// kind is refused with <see cref="ConveyorValidationException"/> when registered, not when a task arrives.
/// </summary>
public sealed partial class HandlerRegistry
{
    private readonly Dictionary<string, HandlerInvoker> _handlers = new(StringComparer.Ordinal);
    private FrozenDictionary<string, HandlerInvoker>? _frozen;

    /// <summary>The registered kinds.</summary>
    public IReadOnlyCollection<string> Kinds => _handlers.Keys;

    public bool Contains(string kind) => _handlers.ContainsKey(kind);

    /// <summary>A handler instance with typed args (shared by every task: keep it stateless).</summary>
    public HandlerRegistry Add<TArgs>(string kind, ITaskHandler<TArgs> handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        return Register(new InstanceInvoker<TArgs>(kind, handler));
    }

    /// <summary>A delegate with typed args.</summary>
    public HandlerRegistry Add<TArgs>(string kind, Func<TArgs, TaskContext, ValueTask<object?>> handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        return Register(new DelegateInvoker<TArgs>(kind, handler));
    }

    /// <summary>An untyped delegate: the args as raw JSON.</summary>
    public HandlerRegistry Add(string kind, Func<JsonElement, TaskContext, ValueTask<object?>> handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        return Register(new DelegateInvoker<JsonElement>(kind, handler));
    }

    /// <summary>
    /// A handler type resolved from a fresh DI scope for every task (register <typeparamref name="THandler"/>
    /// in the container; the host integration does it for you). Needs a pool built with a scope factory.
    /// </summary>
    public HandlerRegistry Add<THandler, TArgs>(string kind) where THandler : class, ITaskHandler<TArgs> =>
        Register(new ServiceInvoker<THandler, TArgs>(kind));

    /// <summary>Throws <see cref="ConveyorValidationException"/> when <paramref name="kind"/> is not a valid task type.</summary>
    public static void ValidateKind(string kind)
    {
        if (Names.CheckType(kind) is { } error) throw new ConveyorValidationException("kind", error);
    }

    /// <summary>True when some handler is a type resolved from a per-task DI scope.</summary>
    internal bool NeedsServices => _handlers.Values.Any(h => h.NeedsServices);

    internal HandlerInvoker? Find(string kind)
    {
        var frozen = _frozen ??= _handlers.ToFrozenDictionary(StringComparer.Ordinal);
        return frozen.GetValueOrDefault(kind);
    }

    /// <summary>Called when a pool starts: later registrations are refused.</summary>
    internal void Freeze() => _frozen ??= _handlers.ToFrozenDictionary(StringComparer.Ordinal);

    private HandlerRegistry Register(HandlerInvoker invoker)
    {
        ValidateKind(invoker.Kind);
        if (_frozen is not null) throw new InvalidOperationException("handlers cannot be added once a worker pool has started");
        if (!_handlers.TryAdd(invoker.Kind, invoker))
            throw new ConveyorValidationException("kind", $"a handler for '{invoker.Kind}' is already registered");
        return this;
    }
}
