using Conveyor.Store;

namespace Conveyor.Engine;

public sealed partial class TaskEngine
{
    /// <summary>
    /// State changes as the store reports them (best effort, for live views: server-sent events, the
    /// dashboard's rates). The handler must be quick and must not throw. Dispose to unsubscribe.
    /// </summary>
    public IDisposable EventsSubscribe(Action<TaskEvent> onEvent)
    {
        ArgumentNullException.ThrowIfNull(onEvent);
        return Records.EventsSubscribe(onEvent);
    }
}
