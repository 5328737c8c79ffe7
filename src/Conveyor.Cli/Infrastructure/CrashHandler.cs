using System.Text.Json;
using Conveyor.Worker;

namespace Conveyor.Cli.Infrastructure;

/// <summary>
/// <c>CONVEYOR_TEST_CRASH_HANDLER=1</c>: the worker (of <c>worker</c>) also runs the task type
/// <c>crash</c>, which kills its own process at once (<see cref="Environment.FailFast(string)"/>: no
/// catch, no finally, no acknowledgement), as a poison task that crashes the runtime would. For the
/// fault tests only; unset (the default), no such type exists and a <c>crash</c> task waits for a
/// worker that runs it, like any unknown type.
/// </summary>
internal static class CrashHandler
{
    public const string Variable = "CONVEYOR_TEST_CRASH_HANDLER";
    public const string Kind = "crash";

    public static ConveyorWorkerBuilder AddCrashHandlerFromEnvironment(this ConveyorWorkerBuilder builder) =>
        Environment.GetEnvironmentVariable(Variable) != "1"
            ? builder
            : builder.AddHandler(Kind, (JsonElement _, TaskContext context) =>
            {
                Environment.FailFast($"the 'crash' task {context.TaskId} (attempt {context.Attempt}) crashes its worker process ({Variable}=1)");
                return default;
            });
}
