namespace Conveyor.Stores.Tests;

/// <summary>The records part of the contract (see <see cref="StoreConformanceBase"/>).</summary>
public abstract partial class TaskRecordsConformanceTests : StoreConformanceBase;
