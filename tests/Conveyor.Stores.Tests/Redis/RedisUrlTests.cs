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

    [Fact]
    public void Options_reject_a_prefix_that_would_break_the_hash_tags() =>
        Assert.Throws<ArgumentException>(() => new RedisTaskStore(null!, new RedisStoreOptions { KeyPrefix = "a{b}" }));
}
