using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.Json.Nodes;
using Conveyor.EndToEnd.Tests;
using Microsoft.Playwright;

namespace Conveyor.Dashboard.Tests;

/// <summary>
/// One real <c>conveyor up</c> (broker, built-in workers, a temp SQLite file) with an admin and a
/// submit-only token, and one headless Debian Chromium driven by Playwright, per test class.
/// Each test takes a fresh browser context, so tests share nothing but the server.
/// </summary>
public sealed class DashboardServer : IAsyncLifetime
{
    public const string AdminToken = "cvy_dashboard_admin_token";
    public const string SubmitToken = "cvy_dashboard_submit_token";
    /// <summary>The queues the built-in worker of <c>conveyor up</c> consumes; each test uses its own.</summary>
    public const string Queues = "default,dead1,bulk1,pause1,cancel1,xss1,search1,load1,shots";
    public static readonly string ChromiumPath = Environment.GetEnvironmentVariable("CONVEYOR_CHROMIUM") ?? "/usr/bin/chromium";

    private readonly string _dir = Path.Combine(Path.GetTempPath(), "conveyor-dash-" + Guid.NewGuid().ToString("N")[..10]);
    private ConveyorProcess? _process;
    private IPlaywright? _playwright;

    public string Url { get; private set; } = "";
    public IBrowser Browser { get; private set; } = null!;
    public HttpClient Admin { get; private set; } = null!;
    public string Output => _process?.Output ?? "";

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_dir);
        var port = FreePort();
        Url = $"http://127.0.0.1:{port}";
        _process = ConveyorProcess.Start(_dir, new Dictionary<string, string> { ["CONVEYOR_TOKENS"] = $"admin:{AdminToken},submit:{SubmitToken}" },
            "up", "--port", port.ToString(), "--store", Path.Combine(_dir, "conveyor.db"), "--queues", Queues, "--concurrency", "20");
        await _process.WaitForOutput("Stop with Ctrl-C");
        Admin = new HttpClient { BaseAddress = new Uri(Url + "/"), Timeout = TimeSpan.FromSeconds(30) };
        Admin.DefaultRequestHeaders.Add("X-API-Token", AdminToken);

        Environment.SetEnvironmentVariable("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1");
        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
        });
        Assertions.SetDefaultExpectTimeout(15_000);
    }

    /// <summary>A fresh context and page (light mode, desktop width unless told).</summary>
    public async Task<DashboardPage> NewPage(int width = 1280, int height = 900, ColorScheme scheme = ColorScheme.Light)
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = Url, ViewportSize = new ViewportSize { Width = width, Height = height }, ColorScheme = scheme,
        });
        context.SetDefaultTimeout(15_000);
        return new DashboardPage(context, await context.NewPageAsync(), this);
    }

    public async Task<JsonObject> Submit(object submission)
    {
        using var res = await Admin.PostAsJsonAsync("api/v1/tasks", submission);
        var body = await res.Content.ReadAsStringAsync();
        Assert.True(res.IsSuccessStatusCode, $"submit answered {(int)res.StatusCode}: {body}");
        return JsonNode.Parse(body)!.AsObject();
    }

    public async Task<JsonObject> Get(string path)
    {
        var body = await Admin.GetStringAsync(path.TrimStart('/'));
        return JsonNode.Parse(body)!.AsObject();
    }

    public async Task<JsonObject> Task(string id) => await Get($"api/v1/tasks/{Uri.EscapeDataString(id)}");

    public async Task Post(string path)
    {
        using var res = await Admin.PostAsync(path.TrimStart('/'), null);
        Assert.True(res.IsSuccessStatusCode, $"POST {path} answered {(int)res.StatusCode}");
    }

    /// <summary>Waits (bounded) until the task is in <paramref name="state"/>.</summary>
    public async Task<JsonObject> WaitState(string id, string state, int seconds = 30)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        JsonObject t;
        do
        {
            t = await Task(id);
            if ((string?)t["state"] == state) return t;
            await System.Threading.Tasks.Task.Delay(100);
        } while (DateTime.UtcNow < deadline);
        throw new TimeoutException($"task {id} is {t["state"]}, not {state}");
    }

    /// <summary>The counts of one queue from GET /api/v1/queues.</summary>
    public async Task<JsonObject?> Queue(string name) =>
        (await Get("api/v1/queues"))["queues"]!.AsArray().Select(q => q!.AsObject()).FirstOrDefault(q => (string?)q["name"] == name);

    public async Task DisposeAsync()
    {
        if (Browser is not null) await Browser.CloseAsync();
        _playwright?.Dispose();
        Admin?.Dispose();
        if (_process is not null)
        {
            _process.Terminate();
            try { await _process.WaitForExit(TimeSpan.FromSeconds(20)); } catch (OperationCanceledException) { }
            await _process.DisposeAsync();
        }
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
}
