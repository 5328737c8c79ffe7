using System.Text.Json;

namespace Conveyor.Worker;

/// <summary>
/// <c>sum</c>: adds every number in its args, for workflows and their tests: an array (nested arrays
/// flattened, nulls skipped), or an object's <c>values</c> and <c>input</c> (where a workflow step
/// receives the result before it) and a batch summary's <c>results</c>. <c>{"ms": 500}</c> in an object
/// makes it work that long first (honouring cancellation). Returns the sum as a number.
/// </summary>
internal sealed class SumHandler(TimeProvider time) : ITaskHandler
{
    public async ValueTask<object?> HandleAsync(JsonElement args, TaskContext context)
    {
        if (args.ValueKind == JsonValueKind.Object && args.TryGetProperty("ms", out var ms))
        {
            if (ms.ValueKind != JsonValueKind.Number || !ms.TryGetInt64(out var wait) || wait < 0 || wait > SleepHandler.MaxMs)
                throw new PermanentTaskFailure($"sum needs ms between 0 and {SleepHandler.MaxMs}", "invalid_args");
            await PreciseDelay.Delay(TimeSpan.FromMilliseconds(wait), time, context.CancellationToken).ConfigureAwait(false);
        }
        return Sum(args, 0);
    }

    private static double Sum(JsonElement e, int depth)
    {
        if (depth > 64) throw new PermanentTaskFailure("sum: args nest too deep", "invalid_args");
        return e.ValueKind switch
        {
            JsonValueKind.Number => e.GetDouble(),
            JsonValueKind.Array => e.EnumerateArray().Sum(x => Sum(x, depth + 1)),
            JsonValueKind.Object => Part(e, "values", depth) + Part(e, "input", depth) + Part(e, "results", depth),
            _ => 0,
        };
    }

    private static double Part(JsonElement o, string name, int depth) => o.TryGetProperty(name, out var v) ? Sum(v, depth + 1) : 0;
}
