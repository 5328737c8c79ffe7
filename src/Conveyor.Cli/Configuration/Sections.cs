namespace Conveyor.Cli.Configuration;

/// <summary><c>Store</c>: where tasks live.</summary>
internal sealed class StoreSettings
{
    /// <summary>A SQLite file (default <c>./conveyor.db</c>), <c>:memory:</c>, <c>redis://host:port[/db]</c> (<c>rediss://</c> for TLS), or <c>rabbitmq://user:pass@host:port/vhost?records=redis://host:port</c>.</summary>
    public string? Location { get; set; }
}

/// <summary><c>Auth</c>: the tokens a broker accepts (besides CONVEYOR_TOKENS, CONVEYOR_TOKENS_FILE and API_SECRET_TOKEN).</summary>
internal sealed class AuthSettings
{
    /// <summary>A file of hashed tokens, one a line, from <c>conveyor token create</c>.</summary>
    public string? TokensFile { get; set; }

    /// <summary>Tokens as <c>scope[+scope]:secret,...</c> (the CONVEYOR_TOKENS format).</summary>
    public string? Tokens { get; set; }
}

/// <summary><c>Telemetry</c>: what a process exposes of its own meters (OTLP export takes the standard OTEL_* variables).</summary>
internal sealed class TelemetrySettings
{
    /// <summary><c>conveyor worker</c> only: serve its metrics on http://127.0.0.1:PORT/metrics.</summary>
    public int? MetricsPort { get; set; }
}

/// <summary>
/// <c>Logging:Console</c>: the console log's format. The whole <c>Logging</c> section is .NET's own
/// (<c>Logging:LogLevel:Default</c>, <c>Logging:LogLevel:Conveyor</c>...), read as any .NET host does.
/// </summary>
internal sealed class ConsoleLogSettings
{
    /// <summary><c>simple</c> (one line per entry, the default), <c>json</c> (one JSON object per line) or <c>systemd</c>.</summary>
    public string FormatterName { get; set; } = "simple";
}
