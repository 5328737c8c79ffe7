namespace Conveyor.Engine;

/// <summary>One problem with an input: which field, and what is wrong with it, in words a user can act on.</summary>
public sealed record ValidationError(string Field, string Message)
{
    public override string ToString() => $"{Field}: {Message}";
}

/// <summary>
/// Thrown by public entry points (engine, client, worker registration) when input is invalid. Nothing
/// was changed. The HTTP layer turns it into a 400/413/422 problem with every error listed.
/// </summary>
public sealed class ConveyorValidationException : Exception
{
    public ConveyorValidationException(IReadOnlyList<ValidationError> errors)
        : base(string.Join("; ", errors))
    {
        Errors = errors;
    }

    public ConveyorValidationException(string field, string message) : this([new ValidationError(field, message)]) { }

    public IReadOnlyList<ValidationError> Errors { get; }

    /// <summary>True when the only problem is a size limit (the HTTP layer answers 413).</summary>
    public bool IsTooLarge { get; init; }
}
