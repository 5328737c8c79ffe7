using System.Diagnostics;
using System.Text.Json;
using Conveyor.Server.Auth;
using Conveyor.Server.Tests.Support;

namespace Conveyor.Server.Tests.Security;

/// <summary>
/// The OpenAPI document of a real broker (with tokens) linted by a third-party linter,
/// <c>@redocly/cli</c> (tests/tools, installed by ./test.sh with <c>npm ci</c>), with its recommended
/// ruleset (tests/tools/redocly.yaml): no errors. And what the linter does not check: every operation
/// has an operationId, a security declaration matching its route's scope, 429, and problem responses.
/// </summary>
public sealed class OpenApiLintTests : IAsyncLifetime
{
    private Broker broker = null!;

    public async Task InitializeAsync() => broker = await Broker.Start(o => o.Tokens.Add(ApiToken.FromSecret("lint-admin", [Scopes.Admin])));

    public async Task DisposeAsync() => await broker.DisposeAsync();

    [Fact]
    public async Task Redocly_lint_reports_no_error()
    {
        var tools = Path.Combine(AuthorizationMatrixTests.RepoRoot(), "tests", "tools");
        var redocly = Path.Combine(tools, "node_modules", ".bin", "redocly");
        Assert.True(File.Exists(redocly), $"{redocly} is missing: run ./test.sh (it runs 'npm ci' in tests/tools)");
        var dir = Directory.CreateTempSubdirectory("conveyor-openapi-");
        try
        {
            var doc = Path.Combine(dir.FullName, "openapi.json");
            using (var response = await broker.Http.GetAsync("/openapi/v1.json"))
            {
                Assert.True(response.IsSuccessStatusCode);
                await File.WriteAllTextAsync(doc, await response.Content.ReadAsStringAsync());
            }
            var start = new ProcessStartInfo(redocly)
            {
                ArgumentList = { "lint", "--format=json", "--config", Path.Combine(tools, "redocly.yaml"), doc },
                WorkingDirectory = tools,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                Environment = { ["REDOCLY_TELEMETRY"] = "off", ["REDOCLY_SUPPRESS_UPDATE_NOTICE"] = "true", ["NO_COLOR"] = "1" },
            };
            using var process = Process.Start(start)!;
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(2));
            await process.WaitForExitAsync(cts.Token);
            var output = await stdout;
            var json = JsonDocument.Parse(output[output.IndexOf('{', StringComparison.Ordinal)..]).RootElement;
            var errors = json.GetProperty("problems").EnumerateArray().Where(p => p.GetProperty("severity").GetString() == "error").Select(p => p.ToString()).ToList();
            Assert.True(errors.Count == 0, $"redocly lint found {errors.Count} error(s):\n{string.Join('\n', errors)}\n{await stderr}");
            Assert.Equal(0, json.GetProperty("totals").GetProperty("errors").GetInt32());
            Assert.Equal(0, process.ExitCode);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task Every_operation_declares_its_name_security_and_refusals()
    {
        var doc = await broker.GetOk("/openapi/v1.json");
        var schemes = doc.GetProperty("components").GetProperty("securitySchemes");
        Assert.Equal("bearer", schemes.GetProperty("bearer").GetProperty("scheme").GetString());
        Assert.Equal("X-API-Token", schemes.GetProperty("apiToken").GetProperty("name").GetString());
        Assert.Equal("header", schemes.GetProperty("apiToken").GetProperty("in").GetString());
        Assert.Equal("cookie", schemes.GetProperty("session").GetProperty("in").GetString());

        var routes = RouteTable.Of(broker.App);
        var names = new HashSet<string>();
        var count = 0;
        foreach (var path in doc.GetProperty("paths").EnumerateObject())
            foreach (var op in path.Value.EnumerateObject())
            {
                count++;
                var where = $"{op.Name} {path.Name}";
                Assert.True(op.Value.TryGetProperty("operationId", out var id) && names.Add(id.GetString()!), $"{where}: no unique operationId");
                var row = routes.Single(r => r.Method == op.Name.ToUpperInvariant() && r.Pattern == path.Name);
                var security = op.Value.GetProperty("security");
                var responses = op.Value.GetProperty("responses");
                if (row.Scopes.Count > 0)
                {
                    Assert.Equal(3, security.GetArrayLength());
                    foreach (var code in new[] { "401", "403" }) Assert.True(responses.TryGetProperty(code, out _), $"{where}: no {code}");
                }
                else Assert.True(security.GetArrayLength() == 1 && !security[0].EnumerateObject().Any(), $"{where}: anonymous, so security: [{{}}], not {security}");
                if (path.Name is not ("/healthz" or "/readyz"))
                {
                    Assert.True(responses.TryGetProperty("429", out var tooMany), $"{where}: no 429");
                    Assert.True(tooMany.GetProperty("headers").TryGetProperty("Retry-After", out _), $"{where}: 429 without Retry-After");
                }
                if (op.Value.TryGetProperty("requestBody", out _))
                    foreach (var code in new[] { "400", "413", "415" }) Assert.True(responses.TryGetProperty(code, out _), $"{where}: a body but no {code}");
                foreach (var r in responses.EnumerateObject().Where(r => r.Name[0] is '4' || (r.Name[0] is '5' && path.Name != "/readyz")))
                    Assert.True(r.Value.GetProperty("content").TryGetProperty("application/problem+json", out _), $"{where} {r.Name}: not a problem");
            }
        Assert.True(count > 50, $"{count} operations");
    }
}
