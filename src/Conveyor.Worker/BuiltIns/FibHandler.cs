namespace Conveyor.Worker;

/// <summary><c>fib</c>: <c>{"n": 35}</c> → <c>9227465</c>. n is 0..90 (fib(90) is the last that fits a 64-bit integer).</summary>
public sealed record FibArgs
{
    public required int N { get; init; }
}

internal sealed class FibHandler : ITaskHandler<FibArgs>
{
    public const int MaxN = 90;

    public ValueTask<object?> HandleAsync(FibArgs args, TaskContext context)
    {
        if (args.N < 0 || args.N > MaxN)
            throw new PermanentTaskFailure($"fib needs n between 0 and {MaxN}; got {args.N}", "invalid_args");
        return ValueTask.FromResult<object?>(Fib(args.N));
    }

    internal static long Fib(int n)
    {
        long a = 0, b = 1;
        for (var i = 0; i < n; i++) (a, b) = (b, a + b);
        return a;
    }
}
