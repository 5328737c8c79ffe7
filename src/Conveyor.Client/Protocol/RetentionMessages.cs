using Conveyor.Retention;

namespace Conveyor.Client.Protocol;

/// <summary>
/// <c>GET/PUT /api/v1/retention</c>: the policy in force and where it comes from: <c>"store"</c> (set
/// through PUT or <c>conveyor retention set</c>; every broker and worker on the store applies it) or
/// <c>"configuration"</c> (this broker's own settings, while the store holds none).
/// </summary>
public sealed record RetentionResponse(string Source, RetentionDocument Policy)
{
    public const string FromStore = "store";
    public const string FromConfiguration = "configuration";
}
