namespace Conveyor.Client.Protocol;

/// <summary>
/// <c>GET/POST /api/v1/session</c>: who this browser is signed in as. <see cref="CsrfToken"/> goes back
/// in <c>X-CSRF-Token</c> on every request of the session that is not GET/HEAD.
/// </summary>
public sealed record SessionResponse(bool AuthRequired, bool SignedIn, string? Name, IReadOnlyList<string> Scopes, string CsrfToken);

/// <summary><c>POST /api/v1/session</c>: sign in with an API token (the cookie then stands for it).</summary>
public sealed record SessionCreateRequest(string? Token);
