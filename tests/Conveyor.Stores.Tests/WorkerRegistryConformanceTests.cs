namespace Conveyor.Stores.Tests;

/// <summary>The worker registry part of the contract (see <see cref="StoreConformanceBase"/>).</summary>
public abstract partial class WorkerRegistryConformanceTests : StoreConformanceBase;
