using System.Text.Json;

namespace Conveyor.Worker;

/// <summary><c>sleep</c>: <c>{"ms": 250}</c>; honours cancellation.</summary>
public sealed record SleepArgs
{
    public required long Ms { get; init; }
}

internal sealed class SleepHandler(TimeProvider time) : ITaskHandler<SleepArgs>
{
    public const long MaxMs = 24L * 60 * 60 * 1000;

    public async ValueTask<object?> HandleAsync(SleepArgs args, TaskContext context)
    {
        if (args.Ms < 0 || args.Ms > MaxMs)
            throw new PermanentTaskFailure($"sleep needs ms between 0 and {MaxMs}; got {args.Ms}", "invalid_args");
        await PreciseDelay.Delay(TimeSpan.FromMilliseconds(args.Ms), time, context.CancellationToken).ConfigureAwait(false);
        return new { slept_ms = args.Ms };
    }
}

/// <summary><c>noop</c>: does nothing, returns no result (the throughput benchmark's task).</summary>
internal sealed class NoopHandler : ITaskHandler
{
    public static readonly NoopHandler Instance = new();

    public ValueTask<object?> HandleAsync(JsonElement args, TaskContext context) => default;
}

/// <summary><c>fail</c>: always fails (retried like any failure, so it ends in the dead-letter queue).</summary>
internal sealed class FailHandler : ITaskHandler
{
    public ValueTask<object?> HandleAsync(JsonElement args, TaskContext context)
    {
        var message = args.ValueKind == JsonValueKind.Object && args.TryGetProperty("message", out var m) && m.ValueKind == JsonValueKind.String
            ? m.GetString()!
            : "the 'fail' task always fails";
        throw new IntentionalFailureException(message);
    }
}

/// <summary>What <c>fail</c> and <c>flaky</c> throw: a plain, retried failure.</summary>
public sealed class IntentionalFailureException(string message) : Exception(message);

/// <summary><c>flaky</c>: <c>{"p": 0.5}</c> fails with probability p (default 0.5).</summary>
public sealed record FlakyArgs
{
    public double P { get; init; } = 0.5;
}

internal sealed class FlakyHandler(Func<double> random) : ITaskHandler<FlakyArgs>
{
    public ValueTask<object?> HandleAsync(FlakyArgs args, TaskContext context)
    {
        if (double.IsNaN(args.P) || args.P < 0 || args.P > 1)
            throw new PermanentTaskFailure($"flaky needs p between 0 and 1; got {args.P}", "invalid_args");
        if (random() < args.P)
            throw new IntentionalFailureException($"flaky failed this time (p = {args.P}, attempt {context.Attempt})");
        return ValueTask.FromResult<object?>(new { ok = true, attempt = context.Attempt });
    }
}
