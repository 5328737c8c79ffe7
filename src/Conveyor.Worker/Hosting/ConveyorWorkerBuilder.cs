using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Conveyor.Worker;

/// <summary>Registers handlers for the hosted worker. Kinds are checked at once (bad or repeated: <see cref="Engine.ConveyorValidationException"/>).</summary>
public sealed class ConveyorWorkerBuilder
{
    private readonly HandlerRegistrations _registrations;

    internal ConveyorWorkerBuilder(IServiceCollection services, HandlerRegistrations registrations)
    {
        Services = services;
        _registrations = registrations;
    }

    public IServiceCollection Services { get; }

    /// <summary>A handler type with typed args, resolved from a new DI scope for every task (registered scoped unless you registered it).</summary>
    public ConveyorWorkerBuilder AddHandler<THandler, TArgs>(string kind) where THandler : class, ITaskHandler<TArgs>
    {
        _registrations.Add(kind, (r, _) => r.Add<THandler, TArgs>(kind));
        Services.TryAddScoped<THandler>();
        return this;
    }

    /// <summary>An untyped handler type (args as raw JSON), resolved from a new DI scope for every task.</summary>
    public ConveyorWorkerBuilder AddHandler<THandler>(string kind) where THandler : class, ITaskHandler =>
        AddHandler<THandler, JsonElement>(kind);

    /// <summary>A delegate with typed args. <see cref="TaskContext.Services"/> is the task's own scope.</summary>
    public ConveyorWorkerBuilder AddHandler<TArgs>(string kind, Func<TArgs, TaskContext, ValueTask<object?>> handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        _registrations.Add(kind, (r, _) => r.Add(kind, handler));
        return this;
    }

    /// <summary>An untyped delegate: the args as raw JSON.</summary>
    public ConveyorWorkerBuilder AddHandler(string kind, Func<JsonElement, TaskContext, ValueTask<object?>> handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        _registrations.Add(kind, (r, _) => r.Add(kind, handler));
        return this;
    }

    /// <summary>
    /// A handler middleware (<see cref="ITaskMiddleware"/>) around every handler of this worker, after
    /// the ones added before (the first added runs outermost). Resolved once from the container (its
    /// constructor may take services); one instance serves every task.
    /// </summary>
    public ConveyorWorkerBuilder AddMiddleware<T>() where T : class, ITaskMiddleware
    {
        _registrations.AddMiddleware((r, sp) => r.Use(ActivatorUtilities.GetServiceOrCreateInstance<T>(sp)));
        return this;
    }

    /// <summary>Registers a group of kinds with one action that has the container (built-ins built from services).</summary>
    internal ConveyorWorkerBuilder Configure(IReadOnlyList<string> kinds, Action<HandlerRegistry, IServiceProvider> register)
    {
        _registrations.Add(kinds, register);
        return this;
    }
}

/// <summary>The handler registrations of the host's worker, replayed into a <see cref="HandlerRegistry"/> when it is built.</summary>
internal sealed class HandlerRegistrations
{
    private readonly List<Action<HandlerRegistry, IServiceProvider>> _actions = [];
    private readonly HashSet<string> _kinds = new(StringComparer.Ordinal);
    private readonly List<Action<HandlerRegistry, IServiceProvider>> _middleware = [];

    public void Add(string kind, Action<HandlerRegistry, IServiceProvider> action) => Add([kind], action);

    public void Add(IReadOnlyList<string> kinds, Action<HandlerRegistry, IServiceProvider> action)
    {
        foreach (var kind in kinds)
        {
            HandlerRegistry.ValidateKind(kind);
            if (_kinds.Contains(kind)) throw new Engine.ConveyorValidationException("kind", $"a handler for '{kind}' is already registered");
        }
        _kinds.UnionWith(kinds);
        _actions.Add(action);
    }

    public void AddMiddleware(Action<HandlerRegistry, IServiceProvider> action) => _middleware.Add(action);

    public HandlerRegistry Build(IServiceProvider services)
    {
        var registry = new HandlerRegistry();
        foreach (var a in _actions) a(registry, services);
        foreach (var m in _middleware) m(registry, services);
        return registry;
    }
}
