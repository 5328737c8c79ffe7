using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace Conveyor.Server.Auth;

/// <summary>
/// The API token scheme: <c>Authorization: Bearer</c> or <c>X-API-Token</c>, hashed and compared in
/// constant time against the configured tokens. A match becomes a principal named by the token's
/// label with one claim per scope; an unknown token fails (401 "The token is not valid" when a route
/// needs a scope, ignored on anonymous routes).
/// </summary>
internal sealed class TokenAuthenticationHandler(IOptionsMonitor<AuthenticationSchemeOptions> monitor, ILoggerFactory logger, UrlEncoder encoder, ServerOptions server)
    : AuthenticationHandler<AuthenticationSchemeOptions>(monitor, logger, encoder)
{
    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        // Open loopback server: nothing to check (the scope policies let everyone through).
        if (server.Tokens.Count == 0 || AuthSchemes.Presented(Request) is not { } presented) return Task.FromResult(AuthenticateResult.NoResult());
        if (AuthSchemes.Match(server.Tokens, presented) is not { } token) return Task.FromResult(AuthenticateResult.Fail("no configured token matches the one sent"));
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(AuthSchemes.Principal(token, Scheme.Name), Scheme.Name)));
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        var result = await HandleAuthenticateOnceSafeAsync();
        await (result.Failure is null ? AuthProblems.NoToken(Context) : AuthProblems.BadToken(Context));
    }

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties) => AuthProblems.Forbidden(Context, null);
}
