using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Conveyor.Engine;
using Conveyor.Server;
using Conveyor.Sqlite;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Conveyor.Server.Tests.Support;

/// <summary>A real broker on real Kestrel at 127.0.0.1:0 over a real in-memory SQLite store.</summary>
internal sealed class Broker : IAsyncDisposable
{
    private Broker(WebApplication app, Uri baseUrl)
    {
        App = app;
        BaseUrl = baseUrl;
        Http = Client(null);
    }

    public WebApplication App { get; }
    public Uri BaseUrl { get; }
    /// <summary>Anonymous (or, with tokens configured, unauthenticated) client.</summary>
    public HttpClient Http { get; }
    public TaskEngine Engine => App.Services.GetRequiredService<TaskEngine>();

    public static async Task<Broker> Start(Action<ServerOptions>? configure = null, TimeProvider? time = null)
    {
        var options = new ServerOptions { Host = "127.0.0.1", Port = 0, StatsInterval = TimeSpan.FromMilliseconds(200) };
        configure?.Invoke(options);
        var builder = ConveyorServer.CreateBuilder(options, sp => new SqliteTaskStore(new SqliteStoreOptions { Path = SqliteStoreOptions.InMemory }, sp.GetRequiredService<TimeProvider>()));
        if (time is not null) builder.Services.AddSingleton(time);
        builder.Logging.ClearProviders();
        var app = builder.Build();
        app.MapConveyor();
        await app.StartAsync();
        return new Broker(app, new Uri(app.Addresses().Single()));
    }

    /// <summary>A client sending <paramref name="token"/> as a bearer token (or as X-API-Token when asked).</summary>
    public HttpClient Client(string? token, bool apiTokenHeader = false)
    {
        var http = new HttpClient { BaseAddress = BaseUrl, Timeout = TimeSpan.FromMinutes(2) };
        if (token is not null && apiTokenHeader) http.DefaultRequestHeaders.Add("X-API-Token", token);
        else if (token is not null) http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return http;
    }

    public Task<HttpResponseMessage> Post(string path, string json, HttpClient? http = null) =>
        (http ?? Http).PostAsync(path, new StringContent(json, Encoding.UTF8, "application/json"));

    public async Task<JsonElement> PostOk(string path, string json, HttpClient? http = null)
    {
        using var response = await Post(path, json, http);
        return await Body(response, expectSuccess: true);
    }

    public async Task<JsonElement> GetOk(string path, HttpClient? http = null)
    {
        using var response = await (http ?? Http).GetAsync(path);
        return await Body(response, expectSuccess: true);
    }

    public static async Task<JsonElement> Body(HttpResponseMessage response, bool expectSuccess = false)
    {
        var text = await response.Content.ReadAsStringAsync();
        if (expectSuccess) Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode}: {text}");
        return text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone();
    }

    /// <summary>Leases one task through the API as a worker would; fails the test when none comes.</summary>
    public async Task<(string Id, string Token, JsonElement Task)> LeaseOne(string queue = "default", HttpClient? http = null, double wait = 5)
    {
        var body = await PostOk("/api/v1/leases", $$"""{"worker_id":"test-worker","queues":["{{queue}}"],"max":1,"wait":{{wait}}}""", http);
        var tasks = body.GetProperty("tasks");
        Assert.Equal(1, tasks.GetArrayLength());
        var leased = tasks[0];
        return (leased.GetProperty("task").GetProperty("id").GetString()!, leased.GetProperty("lease_token").GetString()!, leased.GetProperty("task"));
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await App.StopAsync();
        await App.DisposeAsync();
    }
}
