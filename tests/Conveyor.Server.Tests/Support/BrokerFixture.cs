namespace Conveyor.Server.Tests.Support;

/// <summary>One broker shared by a read-only test class (e.g. many theory cases reading the OpenAPI document).</summary>
public sealed class BrokerFixture : IAsyncLifetime
{
    internal Broker Broker { get; private set; } = null!;

    public async Task InitializeAsync() => Broker = await Broker.Start();

    public async Task DisposeAsync() => await Broker.DisposeAsync();
}
