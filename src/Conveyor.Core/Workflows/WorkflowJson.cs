using System.Text.Json;
using System.Text.Json.Nodes;
using Conveyor.Engine;
using Conveyor.Json;
using Conveyor.Model;

namespace Conveyor.Workflows;

/// <summary>
/// The wire form of a <see cref="WorkflowSubmission"/> (the body of <c>POST /api/v1/workflows</c>):
/// <code>
/// {"name": "report", "continue_on_failure": false,
///  "workflow": {"chain": [{"type": "fetch"}, {"group": [{"type": "a"}, {"type": "b"}], "callback": {"type": "merge"}}]}}
/// </code>
/// A node is a task (an object with "type", as <c>POST /api/v1/tasks</c> takes it), <c>{"chain": [nodes]}</c>,
/// <c>{"group": [nodes], "callback": node}</c> or <c>{"batch": [nodes], "callback": node}</c>. Plain JSON,
/// no type names: refusals name the path of the node in error.
/// </summary>
public static class WorkflowJson
{
    public const int MaxDepth = 16;

    public static WorkflowSubmission Parse(JsonElement body)
    {
        var errors = new List<ValidationError>();
        if (body.ValueKind != JsonValueKind.Object) throw new ConveyorValidationException("", "the body must be a JSON object with a \"workflow\"");
        string? name = null;
        var continueOnFailure = false;
        if (body.TryGetProperty("name", out var n))
        {
            if (n.ValueKind == JsonValueKind.String) name = n.GetString();
            else if (n.ValueKind != JsonValueKind.Null) errors.Add(new("name", "name must be a string"));
        }
        if (body.TryGetProperty("continue_on_failure", out var c))
        {
            if (c.ValueKind is JsonValueKind.True or JsonValueKind.False) continueOnFailure = c.GetBoolean();
            else errors.Add(new("continue_on_failure", "continue_on_failure must be true or false"));
        }
        foreach (var p in body.EnumerateObject())
            if (p.Name is not ("name" or "continue_on_failure" or "workflow")) errors.Add(new(p.Name, "unknown field; expected name, continue_on_failure, workflow"));
        WorkflowNode? root = null;
        if (!body.TryGetProperty("workflow", out var w)) errors.Add(new("workflow", "workflow is required: a task, chain, group or batch"));
        else root = Node(w, "workflow", 1, errors);
        if (errors.Count > 0 || root is null) throw new ConveyorValidationException(errors);
        return new WorkflowSubmission { Root = root, Name = name, ContinueOnFailure = continueOnFailure };
    }

    private static WorkflowNode? Node(JsonElement e, string path, int depth, List<ValidationError> errors)
    {
        if (depth > MaxDepth) { errors.Add(new(path, $"workflows nest at most {MaxDepth} levels")); return null; }
        if (e.ValueKind != JsonValueKind.Object) { errors.Add(new(path, "a node must be an object: a task (with \"type\"), a chain, a group or a batch")); return null; }
        foreach (var kind in (string[])["chain", "group", "batch"])
        {
            if (!e.TryGetProperty(kind, out var list)) continue;
            foreach (var p in e.EnumerateObject())
                if (p.Name != kind && !(kind != "chain" && p.Name == "callback")) errors.Add(new($"{path}.{p.Name}", $"a {kind} takes only {(kind == "chain" ? "\"chain\"" : $"\"{kind}\" and \"callback\"")}"));
            if (list.ValueKind != JsonValueKind.Array) { errors.Add(new($"{path}.{kind}", $"{kind} must be an array of nodes")); return null; }
            var members = list.EnumerateArray().Select((m, i) => Node(m, $"{path}.{kind}[{i}]", depth + 1, errors)).ToList();
            WorkflowNode? callback = null;
            if (kind != "chain" && e.TryGetProperty("callback", out var cb) && cb.ValueKind != JsonValueKind.Null)
                callback = Node(cb, path + ".callback", depth + 1, errors);
            if (members.Any(m => m is null)) return null;
            return kind switch
            {
                "chain" => new WorkflowChainNode(members!),
                "group" => new WorkflowGroupNode(members!, callback),
                _ => new WorkflowBatchNode(members!, callback),
            };
        }
        if (!e.TryGetProperty("type", out _)) { errors.Add(new(path, "a node needs \"type\" (a task), \"chain\", \"group\" or \"batch\"")); return null; }
        try
        {
            return new WorkflowStepNode(e.Deserialize<TaskSubmission>(ConveyorJson.Options)!);
        }
        catch (JsonException ex)
        {
            var at = ex.Path is { Length: > 1 } jp ? path + jp[1..] : path;
            errors.Add(new(at, "not a valid task: " + (ex.InnerException?.Message ?? ex.Message.Split(" Path:")[0])));
            return null;
        }
    }

    public static JsonObject ToJson(WorkflowSubmission s)
    {
        var o = new JsonObject();
        if (s.Name is not null) o["name"] = s.Name;
        if (s.ContinueOnFailure) o["continue_on_failure"] = true;
        o["workflow"] = Node(s.Root);
        return o;
    }

    private static JsonNode Node(WorkflowNode node) => node switch
    {
        WorkflowStepNode s => JsonSerializer.SerializeToNode(s.Task, ConveyorJson.Options)!,
        WorkflowChainNode c => new JsonObject { ["chain"] = new JsonArray([.. c.Steps.Select(Node)]) },
        WorkflowGroupNode g => WithCallback(new JsonObject { ["group"] = new JsonArray([.. g.Members.Select(Node)]) }, g.Callback),
        WorkflowBatchNode b => WithCallback(new JsonObject { ["batch"] = new JsonArray([.. b.Members.Select(Node)]) }, b.Callback),
        _ => throw new ArgumentOutOfRangeException(nameof(node)),
    };

    private static JsonObject WithCallback(JsonObject o, WorkflowNode? callback)
    {
        if (callback is not null) o["callback"] = Node(callback);
        return o;
    }
}
