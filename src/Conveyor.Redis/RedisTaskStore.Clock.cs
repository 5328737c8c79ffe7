using Conveyor.Store;

namespace Conveyor.Redis;

/// <summary>Redis' clock as the time authority (<see cref="RedisClock"/>, <see cref="RedisStoreOptions.UseServerClock"/>).</summary>
public sealed partial class RedisTaskStore : IStoreClock
{
    private readonly RedisClock? _clock;

    /// <summary>The clock every "now" of this store comes from: Redis' (this machine's, corrected), or the injected one.</summary>
    public TimeProvider Clock => _time;

    /// <summary>Redis' clock minus this machine's, as last measured (zero when the injected clock is used).</summary>
    public TimeSpan ClockOffset => _clock?.Offset ?? TimeSpan.Zero;

    private void StartClock()
    {
        if (_clock is null) return;
        _ = _clock.Measure();
        _ = _clock.RefreshLoop(_closing.Token);
    }

    private Task MeasureClock() => _clock?.Measure() ?? Task.CompletedTask;
}
