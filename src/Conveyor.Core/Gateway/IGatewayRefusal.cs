namespace Conveyor.Gateway;

/// <summary>
/// A gateway call the broker answered with a refusal (an HTTP status and problem), rather than one
/// that could not be made. 401 means the broker does not know the token (wrong or revoked), 403 that
/// the token lacks the scope: the worker's loops say so in one line and back off instead of retrying
/// at full speed.
/// </summary>
public interface IGatewayRefusal
{
    int Status { get; }
}
