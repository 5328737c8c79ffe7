using System.Text;
using Conveyor.Worker;

namespace Conveyor.Cli.Infrastructure;

/// <summary>
/// <c>CONVEYOR_EXECUTION_LOG=/path/file</c>: the worker (of <c>worker</c> and <c>up</c>) appends one line
/// per attempt, written before the handler runs (so a worker killed mid-task still leaves it):
/// <c>task_id TAB attempt TAB worker_id TAB mark</c>, where mark is the task's <c>mark</c> metadata or
/// <c>-</c>. The fault tests' loss checker reads it. Unset (the default), nothing is hooked at all.
/// </summary>
internal static class ExecutionLog
{
    public const string Variable = "CONVEYOR_EXECUTION_LOG";
    public const string MarkKey = "mark";

    public static Action<TaskContext>? FromEnvironment()
    {
        var path = Environment.GetEnvironmentVariable(Variable);
        if (string.IsNullOrWhiteSpace(path)) return null;
        // Unbuffered: every line is one write(2), on disk in the page cache before the handler starts.
        var stream = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete, bufferSize: 0);
        var gate = new Lock();
        return context =>
        {
            var mark = context.Metadata.TryGetValue(MarkKey, out var m) ? m : "-";
            var line = Encoding.UTF8.GetBytes($"{context.TaskId}\t{context.Attempt}\t{context.WorkerId}\t{mark}\n");
            lock (gate) stream.Write(line);
        };
    }
}
