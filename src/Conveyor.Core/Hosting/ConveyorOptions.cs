using Conveyor.Engine;
using Conveyor.Store;

namespace Conveyor.Hosting;

/// <summary>What <c>AddConveyor</c> needs: which store to use, and the task limits.</summary>
public sealed class ConveyorOptions
{
    /// <summary>The store factory chosen with <see cref="UseStore"/> (or a store package's shorthand).</summary>
    public Func<IServiceProvider, ITaskStore>? StoreFactory { get; private set; }

    /// <summary>Limits the engine enforces on submissions and results.</summary>
    public TaskLimits Limits { get; set; } = TaskLimits.Default;

    /// <summary>
    /// The store, built once from the container (a singleton, disposed with it). Store projects add
    /// shorthands over this, e.g. <c>o.UseStore(sp =&gt; new SqliteTaskStore(...))</c>.
    /// </summary>
    public ConveyorOptions UseStore(Func<IServiceProvider, ITaskStore> factory)
    {
        ArgumentNullException.ThrowIfNull(factory);
        StoreFactory = factory;
        return this;
    }
}
