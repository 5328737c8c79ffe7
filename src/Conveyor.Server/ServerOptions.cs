using Conveyor.Model;
using Conveyor.Server.Auth;

namespace Conveyor.Server;

/// <summary>
/// Settings of one broker. Checked at start by <see cref="ConveyorServer.Validate"/>; a server that
/// would listen beyond loopback without tokens refuses to start.
/// </summary>
public sealed class ServerOptions
{
    /// <summary>Address to listen on: "127.0.0.1" (default), "localhost", "::1", "0.0.0.0", a host IP...</summary>
    public string Host { get; set; } = "127.0.0.1";

    /// <summary>Port; 0 picks a free one (read it back with <see cref="ConveyorServer.Addresses"/>). 8000 by default, as in the seeds.</summary>
    public int Port { get; set; } = 8000;

    /// <summary>Full URLs to listen on instead of Host/Port (e.g. "http://0.0.0.0:8000"). Optional.</summary>
    public IList<string> Urls { get; } = new List<string>();

    /// <summary>Accepted tokens. Empty: anonymous access, loopback only. Safe to replace while serving (<see cref="TokenList.Replace"/>).</summary>
    public TokenList Tokens { get; } = new();

    /// <summary>
    /// The tokens file the tokens of <see cref="Tokens"/> were partly loaded from (<c>--tokens-file</c>,
    /// <c>CONVEYOR_TOKENS_FILE</c>). When set, the server reloads it when it changes, without a restart
    /// (<see cref="TokensFileReloader"/>): its tokens are replaced, the others (CONVEYOR_TOKENS...) kept.
    /// </summary>
    public string? TokensFile { get; set; }

    /// <summary>
    /// Browser origins allowed to call the API (CORS), e.g. "http://localhost:3000" for seed 002's
    /// React front end. Empty (default): no CORS headers, same-origin only.
    /// </summary>
    public IList<string> CorsOrigins { get; } = new List<string>();

    /// <summary>Serve /metrics without a token even when tokens are configured (default: admin scope needed).</summary>
    public bool PublicMetrics { get; set; }

    /// <summary>Body limit of single-item routes (413 past it). Args themselves are limited by <see cref="TaskDefaults.MaxArgsBytes"/>.</summary>
    public long MaxBodyBytes { get; set; } = 2 * 1024 * 1024;

    /// <summary>Body limit of batch routes.</summary>
    public long MaxBatchBodyBytes { get; set; } = 64 * 1024 * 1024;

    /// <summary>How often maintenance runs (promote due, reclaim expired leases, expire old), with ±20% jitter.</summary>
    public TimeSpan MaintenanceInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// How long terminal tasks are kept, per queue and state, by age and count (DESIGN §3: 7 days by
    /// default), while the store holds no policy set through <c>PUT /api/v1/retention</c>.
    /// </summary>
    public Conveyor.Retention.RetentionOptions Retention { get; } = new();

    /// <summary>cron: schedules from configuration (<c>Schedules:&lt;name&gt;:…</c>), stored at start (<see cref="Hosting.ConfiguredSchedules"/>).</summary>
    public IList<Conveyor.Schedules.ScheduleDefinition> Schedules { get; } = new List<Conveyor.Schedules.ScheduleDefinition>();

    /// <summary>limits: queue limits from configuration (<c>Limits:&lt;queue&gt;:&lt;name&gt;:…</c>), stored at start (<see cref="Hosting.ConfiguredLimits"/>).</summary>
    public IList<Hosting.ConfiguredQueueLimit> Limits { get; } = new List<Hosting.ConfiguredQueueLimit>();

    /// <summary>How often /api/v1/events sends a "stats" event.</summary>
    public TimeSpan StatsInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>A worker is listed as live while its last heartbeat is within this.</summary>
    public TimeSpan WorkerLiveWithin { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Seed 003's <c>/get</c>: the visibility timeout of a lease it hands out.</summary>
    public TimeSpan CompatLeaseDuration { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long a dashboard session lasts without use (sliding; 8 h by default). Ends too when the browser closes.</summary>
    public TimeSpan SessionLifetime { get; set; } = TimeSpan.FromHours(8);

    /// <summary>
    /// Directory of the ASP.NET Core Data Protection keys that protect the dashboard's session cookie
    /// and anti-forgery tokens. Null (default): keys live in memory, so a restart signs every browser
    /// out and no other broker accepts this one's cookies. Brokers behind one address must share it.
    /// </summary>
    public string? DataProtectionKeysPath { get; set; }

    /// <summary>
    /// Requests one token may send per <see cref="RateLimitWindow"/> (the dashboard's cookie counts as
    /// its token); past it, 429 with <c>Retry-After</c>. 0 (default): no limit. Workers share their
    /// token, so size it for the whole pool (a worker sends several requests per task it runs).
    /// </summary>
    public int RateLimitPerToken { get; set; }

    /// <summary>
    /// Requests one client address (the connection's peer, never a forwarded header) may send per
    /// <see cref="RateLimitWindow"/>, whatever token they carry, anonymous ones included. 0 (default): no limit.
    /// </summary>
    public int RateLimitPerAddress { get; set; }

    /// <summary>The fixed window both rate limits count in (1 s by default).</summary>
    public TimeSpan RateLimitWindow { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>HTTPS from a certificate file (off by default). The dashboard's session cookie is then Secure.</summary>
    public Hosting.TlsOptions Tls { get; set; } = new();

    /// <summary>The URLs Kestrel is told to bind.</summary>
    public IReadOnlyList<string> ListenUrls() =>
        Urls.Count > 0 ? [.. Urls] : [$"{(Tls.Enabled ? "https" : "http")}://{(Host.Contains(':') && !Host.StartsWith('[') ? $"[{Host}]" : Host)}:{Port}"];
}
