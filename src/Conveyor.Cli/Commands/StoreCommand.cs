using System.CommandLine;
using Conveyor.Cli.Infrastructure;
using Conveyor.Engine;
using Conveyor.Store;

namespace Conveyor.Cli.Commands;

/// <summary>
/// <c>conveyor store backup --store conveyor.db --to backup.db</c>: a consistent copy of a SQLite store
/// while brokers and workers keep running on it (StoreBackup, SQLite's online backup). A Redis store is
/// backed up by Redis itself (RDB snapshots, the AOF): the command says so and copies nothing.
/// </summary>
internal static class StoreCommand
{
    public const string RedisAdvice =
        "a Redis store is backed up by Redis itself: copy its RDB snapshot (BGSAVE, then dump.rdb) or its AOF files (appendonly yes); see docs/operations.md, Backup and restore";

    public static Command Create()
    {
        var command = new Command("store", "Work on a store's files: backup");
        var store = new Option<string?>("--store") { Description = $"The store: a SQLite file (default ./{StoreSpec.DefaultFile})" };
        var to = new Option<string>("--to") { Description = "The new file to write the copy to (never overwritten)", Required = true };
        var backup = new Command("backup", "Copy a SQLite store consistently while it runs (SQLite's online backup)") { store, to };
        backup.SetRun(async (r, ct) =>
        {
            var spec = StoreSpec.Parse(r.GetValue(store), StoreSpec.DefaultFile, "--store");
            if (spec.Kind == StoreKind.Redis) throw new CliException(RedisAdvice, ExitCodes.Usage);
            if (spec.Location == Sqlite.SqliteStoreOptions.InMemory) throw new CliException("a :memory: store lives in one process; back up a SQLite file");
            if (!File.Exists(spec.Location)) throw new CliException($"'{spec.Location}' does not exist");
            await using var opened = await StoreFactory.Open(spec, TimeProvider.System).ConfigureAwait(false);
            var engine = new TaskEngine(opened, TimeProvider.System);
            StoreBackupResult result;
            try
            {
                result = await engine.StoreBackup(new StoreBackupParams(r.GetValue(to)!), ct).ConfigureAwait(false);
            }
            catch (ConveyorValidationException e)
            {
                throw new CliException($"--to: {e.Errors[0].Message}");
            }
            if (!result.Supported) throw new CliException(result.Detail!);
            if (Output.IsJson(r)) Output.Json(result);
            else Console.WriteLine($"backed up {spec} to {Path.GetFullPath(r.GetValue(to)!)}: {result.Tasks} tasks, {result.Bytes} bytes");
            return ExitCodes.Ok;
        });
        command.Subcommands.Add(backup);
        return command;
    }
}
