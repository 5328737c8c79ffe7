namespace Conveyor.Worker;

/// <summary>
/// Thrown by a handler to fail the task now, without retries: it goes straight to the dead-letter
/// queue. Use it for input that can never succeed (a malformed email address, n out of range).
/// </summary>
public sealed class PermanentTaskFailure : Exception
{
    /// <summary>The default error type recorded for a permanent failure.</summary>
    public const string DefaultErrorType = "permanent_failure";

    public PermanentTaskFailure(string message, string errorType = DefaultErrorType, Exception? inner = null)
        : base(message, inner)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(errorType);
        ErrorType = errorType;
    }

    /// <summary>The short classifier stored as the error's <c>type</c>.</summary>
    public string ErrorType { get; }
}

/// <summary>
/// Thrown by a handler to fail this attempt and retry after <see cref="Delay"/> (e.g. a Retry-After
/// from a rate-limited API), instead of the task's backoff policy. Attempts still count: when none
/// are left the task is dead.
/// </summary>
public sealed class RetryTaskAfter : Exception
{
    public const string DefaultErrorType = "retry_after";

    public RetryTaskAfter(TimeSpan delay, string message, string errorType = DefaultErrorType, Exception? inner = null)
        : base(message, inner)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(delay, TimeSpan.Zero);
        ArgumentException.ThrowIfNullOrWhiteSpace(errorType);
        Delay = delay;
        ErrorType = errorType;
    }

    public TimeSpan Delay { get; }

    public string ErrorType { get; }
}
