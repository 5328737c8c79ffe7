using System.Text.Json;
using Conveyor.Model;

namespace Conveyor.Worker.Tests.Handlers;

/// <summary>
/// A handler bound to its own args type sees .NET type names in the payload (<c>$type</c>,
/// assembly-qualified names) as the strings they are: nothing polymorphic, nothing instantiated.
/// </summary>
public sealed class TypeNameArgsTests
{
    public sealed record ProcessArgs
    {
        public required string FileName { get; init; }
        public string? Kind { get; init; }
        public JsonElement Extra { get; init; }
    }

    [Fact]
    public async Task Type_names_in_args_bind_as_plain_strings()
    {
        await using var h = new WorkerHarness();
        ProcessArgs? seen = null;
        h.Handlers.Add("gadget", (ProcessArgs args, TaskContext _) => { seen = args; return ValueTask.FromResult<object?>(args.Kind); });
        const string json = """{"$type":"System.Diagnostics.Process, System","$id":"1","file_name":"/bin/sh","kind":"System.Diagnostics.Process, System.Diagnostics.Process, Version=10.0.0.0","extra":{"$type":"System.IO.FileInfo, mscorlib","$ref":"1"}}""";
        var id = await h.SubmitAsync("gadget", JsonDocument.Parse(json).RootElement, maxAttempts: 1);
        await h.StartAsync();

        var task = await h.WaitTerminalAsync(id);
        Assert.Equal(TaskState.Succeeded, task.State);
        Assert.NotNull(seen);
        Assert.Equal("/bin/sh", seen.FileName);
        Assert.Equal("System.Diagnostics.Process, System.Diagnostics.Process, Version=10.0.0.0", seen.Kind);
        Assert.Equal(JsonValueKind.Object, seen.Extra.ValueKind);
        Assert.Equal("System.IO.FileInfo, mscorlib", seen.Extra.GetProperty("$type").GetString());
        Assert.Equal(seen.Kind, task.Result?.GetString());
        Assert.Equal(json, task.Args.GetRawText());
    }
}
