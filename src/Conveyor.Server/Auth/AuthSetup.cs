using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Policy;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.HttpOverrides;

namespace Conveyor.Server.Auth;

/// <summary>
/// Authentication, authorization, anti-forgery and Data Protection for the broker, and their place in
/// the pipeline. Data Protection keys sign and encrypt the session cookie and the anti-forgery
/// tokens: kept in memory unless <see cref="ServerOptions.DataProtectionKeysPath"/> names a directory,
/// so a restarted broker signs every browser out, and brokers accept each other's cookies only when
/// they share that directory.
/// </summary>
internal static class AuthSetup
{
    public const string ApplicationName = "Conveyor";

    public static IServiceCollection AddConveyorAuth(this IServiceCollection services, ServerOptions options)
    {
        var protection = services.AddDataProtection().SetApplicationName(ApplicationName);
        if (options.DataProtectionKeysPath is { Length: > 0 } dir) protection.PersistKeysToFileSystem(KeysDirectory(dir));
        else protection.UseEphemeralDataProtectionProvider();

        // ASP.NET Core applies X-Forwarded-For/-Proto from any peer when ASPNETCORE_FORWARDEDHEADERS_ENABLED
        // is set. An open server trusts loopback peers only, so it never lets a header rewrite who the peer is.
        // A server with tokens may sit behind a TLS proxy (X-Forwarded-Proto), but never lets a header name
        // the client: X-Forwarded-For (and RFC 7239 Forwarded, which ASP.NET Core does not read) cannot turn a
        // remote peer into 127.0.0.1, nor dodge the per-address rate limit.
        services.PostConfigure<ForwardedHeadersOptions>(o =>
            o.ForwardedHeaders = options.Tokens.Count == 0 ? ForwardedHeaders.None : o.ForwardedHeaders & ~ForwardedHeaders.XForwardedFor);
        services.AddConveyorRateLimits(options);

        services.AddAuthentication(AuthSchemes.Default)
            .AddPolicyScheme(AuthSchemes.Default, "Token header, else the dashboard's cookie", o =>
                o.ForwardDefaultSelector = ctx => AuthSchemes.Presented(ctx.Request) is null ? AuthSchemes.Cookie : AuthSchemes.Token)
            .AddScheme<AuthenticationSchemeOptions, TokenAuthenticationHandler>(AuthSchemes.Token, "API token", _ => { })
            .AddCookie(AuthSchemes.Cookie, "Dashboard session", o => SessionCookie.Configure(o, options));
        if (options.TokensFile is { Length: > 0 }) services.AddHostedService<TokensFileReloader>();
        services.AddAuthorization(ScopePolicies.AddTo);
        services.AddSingleton<IAuthorizationHandler, ScopeAuthorizationHandler>();
        services.AddSingleton<IAuthorizationMiddlewareResultHandler, ScopeResultHandler>();
        services.AddAntiforgery(o =>
        {
            o.HeaderName = AntiforgeryCheck.HeaderName;
            o.Cookie.Name = "conveyor.antiforgery";
            o.Cookie.HttpOnly = true;
            o.Cookie.SameSite = SameSiteMode.Strict;
            o.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
            o.Cookie.Path = "/";
            // Framing is refused for every response by SecurityHeaders (DENY), not SAMEORIGIN here.
            o.SuppressXFrameOptionsHeader = true;
        });
        return services;
    }

    /// <summary>The keys directory, created private (0700) when missing; a clear configuration error when it cannot be.</summary>
    public static DirectoryInfo KeysDirectory(string dir)
    {
        try
        {
            return OperatingSystem.IsWindows()
                ? Directory.CreateDirectory(dir)
                : Directory.CreateDirectory(dir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new Hosting.ServerConfigurationException($"the data protection keys directory '{dir}' cannot be used: {e.Message}");
        }
    }

    /// <summary>After routing (and CORS): the open server's walls, who the caller is, anti-forgery, then each route's scopes.</summary>
    public static IApplicationBuilder UseConveyorAuth(this IApplicationBuilder app)
    {
        app.UseMiddleware<OpenServerGuard>();
        app.UseAuthentication();
        app.UseConveyorRateLimits(app.ApplicationServices.GetRequiredService<ServerOptions>());
        app.UseMiddleware<AntiforgeryCheck>();
        app.UseAuthorization();
        return app;
    }
}
