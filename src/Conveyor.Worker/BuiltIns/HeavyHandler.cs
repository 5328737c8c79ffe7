using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Conveyor.Worker;

/// <summary><c>heavy</c>: <c>{"data": any}</c>.</summary>
public sealed record HeavyArgs
{
    public JsonElement Data { get; init; }
}

/// <summary>Simulated work on the data: takes the configured time (reporting progress), then returns the data with its size and digest.</summary>
internal sealed class HeavyHandler(TimeSpan duration, TimeProvider time) : ITaskHandler<HeavyArgs>
{
    private const int Steps = 4;

    public async ValueTask<object?> HandleAsync(HeavyArgs args, TaskContext context)
    {
        var data = args.Data.ValueKind == JsonValueKind.Undefined ? default(JsonElement?) : args.Data;
        for (var step = 1; step <= Steps; step++)
        {
            await Task.Delay(duration / Steps, time, context.CancellationToken).ConfigureAwait(false);
            context.ReportProgress(step * 100 / Steps, $"step {step} of {Steps}");
        }
        var raw = data?.GetRawText() ?? "null";
        return new HeavyResult(data, LengthOf(data), Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(raw))));
    }

    /// <summary>Characters of a string, items of an array, properties of an object, else bytes of its JSON.</summary>
    internal static int LengthOf(JsonElement? data) => data switch
    {
        null => 0,
        { ValueKind: JsonValueKind.String } s => s.GetString()!.Length,
        { ValueKind: JsonValueKind.Array } a => a.GetArrayLength(),
        { ValueKind: JsonValueKind.Object } o => o.EnumerateObject().Count(),
        { } other => Encoding.UTF8.GetByteCount(other.GetRawText()),
    };
}

public sealed record HeavyResult(JsonElement? Processed, int Length, string Sha256);
