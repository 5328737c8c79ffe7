using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Conveyor.Server.Auth;
using Conveyor.Sqlite;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Conveyor.Server.Tests.Auth;

/// <summary>The session and anti-forgery cookies over real HTTPS (a self-signed certificate on 127.0.0.1): Secure, HttpOnly, SameSite=Strict.</summary>
public sealed class CookieSecurityTests : IAsyncLifetime
{
    private const string Admin = "admin-secret";
    private WebApplication app = null!;
    private Uri baseUrl = null!;

    public async Task InitializeAsync()
    {
        var options = new ServerOptions { Port = 0 };
        options.Urls.Add("https://127.0.0.1:0");
        options.Tokens.Add(ApiToken.FromSecret(Admin, [Scopes.Admin]));
        var builder = ConveyorServer.CreateBuilder(options, sp => new SqliteTaskStore(new SqliteStoreOptions { Path = SqliteStoreOptions.InMemory }));
        var certificate = SelfSigned();
        builder.WebHost.ConfigureKestrel(k => k.ConfigureHttpsDefaults(h => h.ServerCertificate = certificate));
        builder.Logging.ClearProviders();
        app = builder.Build();
        app.MapConveyor();
        await app.StartAsync();
        baseUrl = new Uri(app.Addresses().Single());
    }

    public async Task DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
    }

    [Fact]
    public async Task Over_https_both_cookies_are_Secure_HttpOnly_and_SameSite_Strict()
    {
        using var browser = new BrowserSession(baseUrl, new HttpClientHandler { ServerCertificateCustomValidationCallback = HttpClientHandler.DangerousAcceptAnyServerCertificateValidator });
        using var response = await browser.SignIn(Admin);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        foreach (var name in new[] { "conveyor.session", "conveyor.antiforgery" })
        {
            var cookie = BrowserSession.SetCookie(response, name);
            Assert.True(cookie is not null, $"{name} not set");
            foreach (var attribute in new[] { "secure", "httponly", "samesite=strict", "path=/" })
                Assert.Contains(attribute, cookie.Split(';').Select(a => a.Trim().ToLowerInvariant()));
        }
        using var pause = await browser.Send("POST", "/api/v1/queues/default/pause", "{}", csrf: browser.Csrf);
        Assert.Equal(HttpStatusCode.OK, pause.StatusCode);
    }

    [Fact]
    public void The_cookie_scheme_is_configured_as_documented()
    {
        var o = app.Services.GetRequiredService<IOptionsMonitor<CookieAuthenticationOptions>>().Get("conveyor-cookie");
        Assert.True(o.Cookie.HttpOnly);
        Assert.Equal(SameSiteMode.Strict, o.Cookie.SameSite);
        Assert.Equal(CookieSecurePolicy.SameAsRequest, o.Cookie.SecurePolicy);
        Assert.True(o.SlidingExpiration);
        Assert.Equal(TimeSpan.FromHours(8), o.ExpireTimeSpan);
    }

    private static X509Certificate2 SelfSigned()
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=127.0.0.1", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var san = new SubjectAlternativeNameBuilder();
        san.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(san.Build());
        using var cert = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        return X509CertificateLoader.LoadPkcs12(cert.Export(X509ContentType.Pfx), null);
    }
}
