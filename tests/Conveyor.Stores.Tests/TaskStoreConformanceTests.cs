using System.Text.Json;
using Conveyor.Engine;
using Conveyor.Json;
using Conveyor.Model;
using Conveyor.Store;
using Microsoft.Extensions.Time.Testing;

namespace Conveyor.Stores.Tests;

/// <summary>The part of the contract that spans the seam's parts (see <see cref="StoreConformanceBase"/>).</summary>
public abstract partial class TaskStoreConformanceTests : StoreConformanceBase
{
    [Fact]
    public async Task Ping_answers_true()
    {
        await using var store = await CreateStore(NewClock());
        Assert.True(await store.Ping());
        Assert.False(string.IsNullOrWhiteSpace(store.Name));
    }
}
