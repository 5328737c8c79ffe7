using Conveyor.Redis.Lane;
using StackExchange.Redis;

namespace Conveyor.Redis;

public sealed partial class RedisTaskStore
{
    /// <summary>fastlane: the hot scripts' own connection, when <see cref="RedisStoreOptions.FastLane"/> (or the URL's <c>fastlane</c>) is on and it applies (<see cref="RespLane.Open"/>).</summary>
    private async Task OpenLane(ConfigurationOptions configuration, RedisStoreOptions options)
    {
        if (!options.FastLaneWanted) return; // lane2: the URL's ?fastlane= wins
        _scripts.Lane = await RespLane.Open(configuration, _database, options.CommandTimeout, _logger).ConfigureAwait(false);
    }

    /// <summary>Script calls sent on the fast lane so far (the bench adds them to the client's command count); 0 when it is off.</summary>
    internal long LaneCalls => _scripts.Lane?.Calls ?? 0;

    /// <summary>True when the fast lane is connected now (tests).</summary>
    internal bool LaneConnected => _scripts.Lane?.Current is not null;
}
