// The child of the durability test: enqueues tasks one at a time into the SQLite file named by the first
// argument and prints each id only AFTER the store acknowledged it, until it is killed (kill -9).
using Conveyor.Engine;
using Conveyor.Model;
using Conveyor.Sqlite;

var path = args.Length > 0 ? args[0] : throw new ArgumentException("usage: Conveyor.Sqlite.Crasher <database file>");
var time = TimeProvider.System;
await using var store = new SqliteTaskStore(new SqliteStoreOptions { Path = path }, time);
Console.Out.Flush();
for (var i = 0; ; i++)
{
    var task = TaskValidator.Build(new TaskSubmission { Type = "crash.test", Queue = "durable" }, TaskIds.New(time), time.GetUtcNow(), TaskLimits.Default);
    await store.TaskEnqueueMany([task]);
    Console.Out.WriteLine(task.Id);
    Console.Out.Flush();
}
