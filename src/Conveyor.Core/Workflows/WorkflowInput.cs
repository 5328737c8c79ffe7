using System.Text.Json;
using System.Text.Json.Nodes;

namespace Conveyor.Workflows;

/// <summary>
/// What a step receives from the steps before it, and how it reaches the handler.
/// <para>
/// An input template is JSON: <c>{"$step": i}</c> stands for step i's result (null when it failed or
/// was cancelled), an array for the array of its members (a group's result), and
/// <c>{"$batch": [members]}</c> for a batch's summary <c>{"total", "succeeded", "failed", "results"}</c>.
/// </para>
/// <para>
/// The handler sees its input merged into its args (<see cref="Merge"/>), as Celery passes a chain's
/// result into the next signature: args absent or null become the input; an array gets the input
/// prepended (<c>add.s(4)</c> after 3 runs <c>add(3, 4)</c>); an object gets an <c>"input"</c>
/// property; any other value becomes <c>[input, value]</c>. A first step's args are left as submitted.
/// </para>
/// </summary>
public static class WorkflowInput
{
    public static JsonElement StepRef(int index) => JsonSerializer.SerializeToElement(new JsonObject { ["$step"] = index });

    public static JsonElement List(IEnumerable<JsonElement> members) => JsonSerializer.SerializeToElement(new JsonArray([.. members.Select(m => JsonNode.Parse(m.GetRawText()))]));

    public static JsonElement BatchOf(IEnumerable<JsonElement> members) =>
        JsonSerializer.SerializeToElement(new JsonObject { ["$batch"] = new JsonArray([.. members.Select(m => JsonNode.Parse(m.GetRawText()))]) });

    /// <summary>Every step a template refers to: the steps to wait for.</summary>
    public static IReadOnlyList<int> Refs(JsonElement template)
    {
        var found = new SortedSet<int>();
        Walk(template, found);
        return [.. found];

        static void Walk(JsonElement t, SortedSet<int> found)
        {
            if (t.ValueKind == JsonValueKind.Array) { foreach (var m in t.EnumerateArray()) Walk(m, found); }
            else if (t.ValueKind == JsonValueKind.Object)
            {
                if (t.TryGetProperty("$step", out var s)) found.Add(s.GetInt32());
                else if (t.TryGetProperty("$batch", out var b)) Walk(b, found);
            }
        }
    }

    /// <summary>The template with each step's result in place.</summary>
    public static JsonNode? Evaluate(JsonElement template, IReadOnlyList<WorkflowStep> steps)
    {
        if (template.ValueKind == JsonValueKind.Array)
            return new JsonArray([.. template.EnumerateArray().Select(m => Evaluate(m, steps))]);
        if (template.TryGetProperty("$step", out var s))
        {
            var step = steps[s.GetInt32()];
            return step.State == WorkflowStepState.Succeeded && step.Result is { } r ? JsonNode.Parse(r.GetRawText()) : null;
        }
        var members = template.GetProperty("$batch").EnumerateArray().ToList();
        var ok = members.Count(m => Refs(m).All(i => steps[i].State == WorkflowStepState.Succeeded));
        return new JsonObject
        {
            ["total"] = members.Count,
            ["succeeded"] = ok,
            ["failed"] = members.Count - ok,
            ["results"] = new JsonArray([.. members.Select(m => Evaluate(m, steps))]),
        };
    }

    /// <summary>The args a released step's task runs with (see the class summary).</summary>
    public static JsonElement Merge(JsonElement args, JsonNode? input)
    {
        JsonNode? merged = args.ValueKind switch
        {
            JsonValueKind.Undefined or JsonValueKind.Null => input,
            JsonValueKind.Array => new JsonArray([input, .. JsonNode.Parse(args.GetRawText())!.AsArray().Select(n => n?.DeepClone())]),
            JsonValueKind.Object => WithInput(JsonNode.Parse(args.GetRawText())!.AsObject(), input),
            _ => new JsonArray(input, JsonNode.Parse(args.GetRawText())),
        };
        return JsonSerializer.SerializeToElement(merged);

        static JsonObject WithInput(JsonObject o, JsonNode? input)
        {
            o["input"] = input;
            return o;
        }
    }

    /// <summary>Progress of each batch: members whose steps have all finished, of the batch's members.</summary>
    public static IReadOnlyList<BatchProgress> BatchProgress(WorkflowRecord wf)
    {
        var list = new List<BatchProgress>(wf.Batches.Count);
        for (var b = 0; b < wf.Batches.Count; b++)
        {
            var members = wf.Batches[b].GetProperty("$batch").EnumerateArray().Select(Refs).ToList();
            var finished = members.Count(m => m.All(i => wf.Steps[i].IsFinished));
            var ok = members.Count(m => m.All(i => wf.Steps[i].State == WorkflowStepState.Succeeded));
            var failed = members.Count(m => m.All(i => wf.Steps[i].IsFinished) && m.Any(i => wf.Steps[i].State != WorkflowStepState.Succeeded));
            list.Add(new BatchProgress(b, members.Count, finished, ok, failed, members.Count == 0 ? 100 : finished * 100 / members.Count));
        }
        return list;
    }

    public static WorkflowProgress Progress(WorkflowRecord wf) => new(
        wf.Steps.Count,
        wf.Steps.Count(s => s.IsFinished),
        wf.Steps.Count(s => s.State == WorkflowStepState.Succeeded),
        wf.Steps.Count(s => s.State is WorkflowStepState.Failed),
        BatchProgress(wf));
}
