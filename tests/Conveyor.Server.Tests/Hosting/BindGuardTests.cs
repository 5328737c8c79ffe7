using Conveyor.Server.Auth;
using Conveyor.Server.Hosting;
using Conveyor.Sqlite;

namespace Conveyor.Server.Tests.Hosting;

public sealed class BindGuardTests
{
    [Theory]
    [InlineData("0.0.0.0")]
    [InlineData("192.168.1.10")]
    [InlineData("::")]
    public void A_non_loopback_bind_without_tokens_refuses_to_start(string host)
    {
        var options = new ServerOptions { Host = host, Port = 0 };
        var e = Assert.Throws<ServerConfigurationException>(() =>
            ConveyorServer.CreateBuilder(options, _ => new SqliteTaskStore(new SqliteStoreOptions { Path = SqliteStoreOptions.InMemory })));
        Assert.Contains("without tokens", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Urls_are_checked_too()
    {
        var options = new ServerOptions();
        options.Urls.Add("http://127.0.0.1:0");
        options.Urls.Add("http://*:8080");
        Assert.Throws<ServerConfigurationException>(() => BindGuard.Check(options));
    }

    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("localhost")]
    [InlineData("::1")]
    public void Loopback_without_tokens_is_allowed(string host) =>
        BindGuard.Check(new ServerOptions { Host = host, Port = 0 });

    [Fact]
    public void A_non_loopback_bind_with_tokens_is_allowed()
    {
        var options = new ServerOptions { Host = "0.0.0.0", Port = 0 };
        options.Tokens.Add(ApiTokens.Create([Scopes.Admin]).Token);
        BindGuard.Check(options);
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(70000)]
    public void Invalid_options_are_refused_at_start(int port) =>
        Assert.Throws<ServerConfigurationException>(() => ConveyorServer.Validate(new ServerOptions { Port = port }));

    [Fact]
    public void A_batch_limit_below_the_single_limit_is_refused() =>
        Assert.Throws<ServerConfigurationException>(() => ConveyorServer.Validate(new ServerOptions { MaxBodyBytes = 4096, MaxBatchBodyBytes = 2048 }));
}
