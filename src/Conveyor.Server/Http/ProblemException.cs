using Conveyor.Client.Protocol;

namespace Conveyor.Server.Http;

/// <summary>
/// An expected refusal, thrown by endpoint helpers before anything changed and turned into a problem
/// details response by <see cref="ProblemMiddleware"/>.
/// </summary>
internal sealed class ProblemException(int status, string type, string title, string? detail = null, IReadOnlyList<FieldError>? errors = null)
    : Exception(detail ?? title)
{
    public int Status { get; } = status;
    public string Type { get; } = type;
    public string Title { get; } = title;
    public string? Detail { get; } = detail;
    public IReadOnlyList<FieldError>? Errors { get; } = errors;

    public static ProblemException Validation(string field, string message) =>
        new(StatusCodes.Status400BadRequest, ProblemTypes.Validation, "The request is not valid", message, [new FieldError(field, message)]);

    public static ProblemException MalformedJson(string detail) =>
        new(StatusCodes.Status400BadRequest, ProblemTypes.MalformedJson, "The body is not valid JSON", detail);

    public static ProblemException TooLarge(long limit) =>
        new(StatusCodes.Status413PayloadTooLarge, ProblemTypes.PayloadTooLarge, "The request body is too large",
            $"this route accepts at most {limit} bytes");

    public static ProblemException NotFound(string what) =>
        new(StatusCodes.Status404NotFound, ProblemTypes.NotFound, "Not found", what);

    public static ProblemException StaleLease(string taskId) =>
        new(StatusCodes.Status409Conflict, ProblemTypes.StaleLease, "The lease is stale",
            $"the lease token is not the current one of task {taskId} (the lease expired, or the task was cancelled); nothing changed");
}
