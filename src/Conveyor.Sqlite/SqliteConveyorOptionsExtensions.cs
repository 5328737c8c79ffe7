using Conveyor.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace Conveyor.Sqlite;

/// <summary>The embedded default store for the host: <c>services.AddConveyor(o =&gt; o.UseSqlite("conveyor.db"))</c>.</summary>
public static class SqliteConveyorOptionsExtensions
{
    /// <summary>SQLite at <paramref name="path"/> (a file, or <c>":memory:"</c>), on the container's <see cref="TimeProvider"/>.</summary>
    public static ConveyorOptions UseSqlite(this ConveyorOptions options, string path) =>
        options.UseSqlite(new SqliteStoreOptions { Path = path });

    public static ConveyorOptions UseSqlite(this ConveyorOptions options, SqliteStoreOptions storeOptions)
    {
        ArgumentNullException.ThrowIfNull(storeOptions);
        return options.UseStore(sp => new SqliteTaskStore(storeOptions, sp.GetRequiredService<TimeProvider>()));
    }
}
