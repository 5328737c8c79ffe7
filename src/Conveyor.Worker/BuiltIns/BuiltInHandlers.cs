using Microsoft.Extensions.DependencyInjection;

namespace Conveyor.Worker;

/// <summary>Settings of the built-in task types.</summary>
public sealed class BuiltInHandlerOptions
{
    /// <summary>How long <c>email.send</c> pretends to talk to a mail server. Default 3 s.</summary>
    public TimeSpan EmailSendDuration { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>How long <c>heavy</c> works on its data. Default 2 s.</summary>
    public TimeSpan HeavyDuration { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>The dice of <c>flaky</c>: a uniform number in [0, 1). Default <see cref="Random.Shared"/>.</summary>
    public Func<double> Random { get; set; } = System.Random.Shared.NextDouble;
}

/// <summary>
/// The built-in task types used by <c>conveyor up</c>, the demos, the tests and the benchmarks:
/// <c>fib</c>, <c>email.send</c>, <c>sleep</c>, <c>noop</c>, <c>fail</c>, <c>flaky</c>, <c>heavy</c>, <c>sum</c> (workflows).
/// </summary>
public static class BuiltInHandlers
{
    public static readonly IReadOnlyList<string> Kinds = ["fib", "email.send", "sleep", "noop", "fail", "flaky", "heavy", "sum"];

    /// <summary>Registers every built-in type into <paramref name="registry"/>.</summary>
    public static HandlerRegistry AddBuiltIns(this HandlerRegistry registry, BuiltInHandlerOptions? options = null, TimeProvider? time = null)
    {
        options ??= new BuiltInHandlerOptions();
        time ??= TimeProvider.System;
        registry.Add("fib", new FibHandler());
        registry.Add("email.send", new EmailSendHandler(options.EmailSendDuration, time));
        registry.Add("sleep", new SleepHandler(time));
        registry.Add("noop", NoopHandler.Instance);
        registry.Add("fail", new FailHandler());
        registry.Add("flaky", new FlakyHandler(options.Random));
        registry.Add("heavy", new HeavyHandler(options.HeavyDuration, time));
        registry.Add("sum", new SumHandler(time)); // workflows
        return registry;
    }

    /// <summary>Registers every built-in type on the hosted worker, with the host's <see cref="TimeProvider"/>.</summary>
    public static ConveyorWorkerBuilder AddBuiltInHandlers(this ConveyorWorkerBuilder builder, Action<BuiltInHandlerOptions>? configure = null)
    {
        var options = new BuiltInHandlerOptions();
        configure?.Invoke(options);
        return builder.Configure(Kinds, (registry, sp) => registry.AddBuiltIns(options, sp.GetRequiredService<TimeProvider>()));
    }
}
