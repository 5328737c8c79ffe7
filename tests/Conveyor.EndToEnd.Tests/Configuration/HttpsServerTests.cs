using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Conveyor.EndToEnd.Tests.Configuration;

/// <summary>
/// A real <c>conveyor server</c> serving HTTPS from a certificate file (a self-signed one made here),
/// called by a client that trusts exactly that certificate; over HTTPS the dashboard's session cookie
/// is Secure.
/// </summary>
public sealed class HttpsServerTests : IDisposable
{
    private const string Secret = "e2e-tls-admin-secret";
    private readonly TestEnvironment _env = new();

    public void Dispose() => _env.Dispose();

    private static X509Certificate2 SelfSigned()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=127.0.0.1", key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
    }

    private static HttpClient Trusting(X509Certificate2 cert, string url) => new(new HttpClientHandler
    {
        // Trust this one certificate and nothing else (not the machine's roots, no blanket "accept all").
        ServerCertificateCustomValidationCallback = (_, presented, _, _) => presented is not null && presented.RawData.AsSpan().SequenceEqual(cert.RawData),
    })
    { BaseAddress = new Uri(url) };

    private async Task<(ConveyorProcess Server, string Url)> Start(params string[] tls)
    {
        var port = TestEnvironment.FreePort().ToString(CultureInfo.InvariantCulture);
        var env = new Dictionary<string, string> { ["CONVEYOR_TOKENS"] = $"admin:{Secret}" };
        var server = ConveyorProcess.Start(_env.Directory, env, ["server", "--port", port, "--store", ":memory:", .. tls]);
        await server.WaitForOutput("Conveyor is running on https://127.0.0.1:" + port);
        return (server, $"https://127.0.0.1:{port}");
    }

    [Fact]
    public async Task A_pem_certificate_and_key_serve_https_and_the_session_cookie_is_secure()
    {
        using var cert = SelfSigned();
        var certFile = Path.Combine(_env.Directory, "broker.crt");
        var keyFile = Path.Combine(_env.Directory, "broker.key");
        await File.WriteAllTextAsync(certFile, cert.ExportCertificatePem());
        await File.WriteAllTextAsync(keyFile, cert.GetECDsaPrivateKey()!.ExportPkcs8PrivateKeyPem());
        var (server, url) = await Start("--tls-cert", certFile, "--tls-key", keyFile);
        await using var _ = server;
        using var http = Trusting(cert, url);

        using var health = await http.GetAsync("/healthz");
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        using var session = await http.PostAsJsonAsync("/api/v1/session", new { token = Secret });
        Assert.Equal(HttpStatusCode.OK, session.StatusCode);
        var cookies = session.Headers.GetValues("Set-Cookie").ToList();
        var sessionCookie = Assert.Single(cookies, c => c.StartsWith("conveyor.session=", StringComparison.Ordinal));
        Assert.Contains("; secure", sessionCookie, StringComparison.OrdinalIgnoreCase);
        Assert.All(cookies, c => Assert.Contains("; secure", c, StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public async Task A_pfx_with_its_password_from_the_environment_serves_https()
    {
        using var cert = SelfSigned();
        var pfx = Path.Combine(_env.Directory, "broker.pfx");
        await File.WriteAllBytesAsync(pfx, cert.Export(X509ContentType.Pkcs12, "pfx-pass"));
        var port = TestEnvironment.FreePort().ToString(CultureInfo.InvariantCulture);
        var env = new Dictionary<string, string> { ["CONVEYOR_TOKENS"] = $"admin:{Secret}", ["CONVEYOR__Server__Tls__Password"] = "pfx-pass" };
        await using var server = ConveyorProcess.Start(_env.Directory, env, "server", "--port", port, "--store", ":memory:", "--tls-cert", pfx);
        await server.WaitForOutput("Conveyor is running on https://127.0.0.1:" + port);
        using var http = Trusting(cert, $"https://127.0.0.1:{port}");
        using var health = await http.GetAsync("/healthz");
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
    }

    [Fact]
    public async Task A_client_that_does_not_trust_the_certificate_is_refused()
    {
        using var cert = SelfSigned();
        var certFile = Path.Combine(_env.Directory, "broker.crt");
        var keyFile = Path.Combine(_env.Directory, "broker.key");
        await File.WriteAllTextAsync(certFile, cert.ExportCertificatePem());
        await File.WriteAllTextAsync(keyFile, cert.GetECDsaPrivateKey()!.ExportPkcs8PrivateKeyPem());
        var (server, url) = await Start("--tls-cert", certFile, "--tls-key", keyFile);
        await using var _ = server;
        using var http = new HttpClient { BaseAddress = new Uri(url) };
        await Assert.ThrowsAsync<HttpRequestException>(() => http.GetAsync("/healthz"));
    }

    [Fact]
    public async Task A_wrong_pfx_password_stops_the_start_naming_the_file()
    {
        using var cert = SelfSigned();
        var pfx = Path.Combine(_env.Directory, "broker.pfx");
        await File.WriteAllBytesAsync(pfx, cert.Export(X509ContentType.Pkcs12, "right"));
        var env = new Dictionary<string, string> { ["CONVEYOR__Server__Tls__Password"] = "wrong" };
        await using var p = ConveyorProcess.Start(_env.Directory, env, "server", "--store", ":memory:", "--tls-cert", pfx);
        var code = await p.WaitForExit(TimeSpan.FromMinutes(1));
        Assert.True(code == 2, $"exit {code.ToString(CultureInfo.InvariantCulture)}:\n{p.Output}");
        Assert.Contains($"Server:Tls:CertificateFile = '{pfx}'", p.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", p.Output, StringComparison.Ordinal);
    }
}
