using System.Text.RegularExpressions;
using Conveyor.Redis.Scripts;
using StackExchange.Redis;

namespace Conveyor.Stores.Tests.Redis;

/// <summary>Each script carries the Lib.lua helpers it uses and no others, and every script compiles on a real Redis.</summary>
public sealed class LuaPreludeTests(RedisServerFixture redis) : IClassFixture<RedisServerFixture>
{
    private static readonly string Lib = ScriptCatalog.ReadResource("Lib");

    [Fact]
    public void Every_top_level_definition_of_Lib_lua_is_a_helper()
    {
        var locals = Regex.Matches(Lib, @"^local\s+(?:function\s+)?([A-Za-z_][A-Za-z0-9_]*)", RegexOptions.Multiline).Select(m => m.Groups[1].Value).ToList();
        Assert.True(locals.Count >= 15, string.Join(", ", locals));
        Assert.Equal(locals, ScriptCatalog.Prelude.Names);
    }

    [Fact]
    public void A_script_gets_the_helpers_it_calls_and_theirs_and_no_others()
    {
        var prelude = ScriptCatalog.Prelude;
        // ready_score uses BAND; nothing here uses the history or backoff helpers.
        Assert.Equal(["BAND", "IX", "ev_add", "ev_flush", "ix_add", "lease_read_done", "park_handoff", "park_payload", "qtag", "ready_score", "task_fields", "wake_leasers", "zadd_many"], // IX, ix_add: redis-index; task_fields: memory; park_*, lease_read_done: parked
            prelude.Needed(ScriptCatalog.ReadResource("TaskEnqueueMany")).Order(StringComparer.Ordinal));
        // promote_due brings what it calls.
        var maintenance = prelude.Needed(ScriptCatalog.ReadResource("MaintenanceRun"));
        Assert.Superset(new HashSet<string> { "promote_due", "ready_score", "BAND", "zadd_many", "zrem_many", "ev_add", "hist_add", "hist_entry", "hist_append", "retry_spec", "backoff_ms", "prng" }, maintenance);
        Assert.DoesNotContain("legacy_spec", maintenance);

        var body = ScriptCatalog.TaskEnqueueMany.Body;
        Assert.Contains("local function zadd_many(", body);
        Assert.DoesNotContain("local function hist_add(", body);
        Assert.DoesNotContain("local function promote_due(", body);
        Assert.EndsWith(ScriptCatalog.ReadResource("TaskEnqueueMany").TrimEnd(), body.TrimEnd());
    }

    [Fact]
    public async Task Every_script_compiles_on_redis()
    {
        await using var mux = await ConnectionMultiplexer.ConnectAsync(redis.ConnectionString);
        var server = mux.GetServer(mux.GetEndPoints()[0]);
        foreach (var script in ScriptCatalog.All)
        {
            var sha = await server.ScriptLoadAsync(script.Body);
            Assert.Equal(script.Sha1, sha);
        }
        // Every embedded Lua file but Lib.lua is one operation's script, and the catalog holds each once.
        var files = typeof(ScriptCatalog).Assembly.GetManifestResourceNames().Count(n => n.StartsWith("Conveyor.Redis.Lua.", StringComparison.Ordinal));
        Assert.Equal(files - 1, ScriptCatalog.All.Select(s => s.Name).Distinct().Count());
        Assert.Equal(files - 1, ScriptCatalog.All.Count);
    }
}
