namespace Conveyor.Worker;

public sealed partial class HandlerRegistry
{
    private readonly List<ITaskMiddleware> _middleware = [];

    /// <summary>The registered handler middleware, in the order they run (the first outermost).</summary>
    public IReadOnlyList<ITaskMiddleware> Middleware => _middleware;

    /// <summary>Adds a middleware around every handler of this registry (after those added before).</summary>
    public HandlerRegistry Use(ITaskMiddleware middleware)
    {
        ArgumentNullException.ThrowIfNull(middleware);
        if (_frozen is not null) throw new InvalidOperationException("middleware cannot be added once a worker pool has started");
        _middleware.Add(middleware);
        return this;
    }
}
