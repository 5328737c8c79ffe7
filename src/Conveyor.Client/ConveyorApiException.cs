using Conveyor.Client.Protocol;

namespace Conveyor.Client;

/// <summary>
/// The broker refused a request. <see cref="Problem"/> is its RFC 9457 answer; branch on
/// <see cref="Problem.Type"/> (see <see cref="ProblemTypes"/>), never on the message.
/// </summary>
public sealed class ConveyorApiException(Problem problem)
    : Exception($"{problem.Status} {problem.Title}{(problem.Detail is null ? "" : ": " + problem.Detail)}"), Conveyor.Gateway.IGatewayRefusal
{
    public Problem Problem { get; } = problem;
    public int Status => Problem.Status;
    public string Type => Problem.Type;
    public IReadOnlyList<FieldError> Errors => Problem.Errors ?? [];
}
