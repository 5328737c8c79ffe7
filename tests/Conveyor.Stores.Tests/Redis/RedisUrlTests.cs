using System.Net;
using Conveyor.Redis;

namespace Conveyor.Stores.Tests.Redis;

public sealed class RedisUrlTests
{
    [Fact]
    public void A_redis_url_gives_host_port_password_and_database()
    {
        var c = RedisUrl.ToConfiguration("redis://:s%40cret@cache.local:6380/3");
        var ep = Assert.IsType<DnsEndPoint>(Assert.Single(c.EndPoints));
        Assert.Equal(("cache.local", 6380), (ep.Host, ep.Port));
        Assert.Equal("s@cret", c.Password);
        Assert.Null(c.User);
        Assert.Equal(3, c.DefaultDatabase);
        Assert.False(c.Ssl);
    }

    [Fact]
    public void A_rediss_url_turns_on_tls_and_keeps_the_user()
    {
        var c = RedisUrl.ToConfiguration("rediss://app:pw@10.0.0.5");
        var ep = Assert.IsType<IPEndPoint>(Assert.Single(c.EndPoints));
        Assert.Equal(6379, ep.Port);
        Assert.True(c.Ssl);
        Assert.Equal(("app", "pw"), (c.User, c.Password));
        Assert.Null(c.DefaultDatabase);
    }

    [Fact]
    public void A_configuration_string_passes_through_for_sentinel_and_cluster()
    {
        var sentinel = RedisUrl.ToConfiguration("10.0.0.1:26379,10.0.0.2:26379,serviceName=mymaster,password=pw");
        Assert.Equal("mymaster", sentinel.ServiceName);
        Assert.Equal(2, sentinel.EndPoints.Count);
        var cluster = RedisUrl.ToConfiguration("127.0.0.1:7000,127.0.0.1:7001,127.0.0.1:7002");
        Assert.Equal(3, cluster.EndPoints.Count);
    }

    [Theory]
    [InlineData("redis://host:6379/notanumber")]
    [InlineData("http://host:6379")]
    public void A_bad_url_is_refused(string url) =>
        Assert.ThrowsAny<FormatException>(() => RedisUrl.Parse(url));

    [Theory]
    [InlineData("redis://host:6379", null)]
    [InlineData("redis://host:6379/2?fastlane=off", false)]
    [InlineData("redis://host?fastlane=on", true)]
    [InlineData("rediss://u:p@host:6380/0?FastLane=TRUE", true)]
    [InlineData("127.0.0.1:6379,password=x", null)]
    public void The_url_query_names_the_fast_lane(string url, bool? lane)
    {
        Assert.Equal(lane, RedisUrl.Settings(url).FastLane);
        RedisUrl.ToConfiguration(url); // and the rest of the URL still reads
    }

    [Theory]
    [InlineData("redis://host:6379?fastlane=maybe", "fastlane must be on or off; got 'maybe'")]
    [InlineData("redis://host:6379?fastlane", "fastlane must be on or off; got ''")]
    [InlineData("redis://host:6379/1?timeout=5", "names 'timeout', which is not a setting")]
    [InlineData("redis://host:6379?fastlane=on&x=1", "names 'x', which is not a setting")]
    public void A_bad_query_is_refused_by_name(string url, string message)
    {
        Assert.Contains(message, Assert.Throws<FormatException>(() => RedisUrl.Settings(url)).Message, StringComparison.Ordinal);
        Assert.Contains(message, Assert.Throws<FormatException>(() => RedisUrl.Parse(url)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Options_reject_a_prefix_that_would_break_the_hash_tags() =>
        Assert.Throws<ArgumentException>(() => new RedisTaskStore(null!, new RedisStoreOptions { KeyPrefix = "a{b}" }));
}
