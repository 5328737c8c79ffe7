using Conveyor.Cli.Configuration;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;

namespace Conveyor.Cli.Infrastructure;

/// <summary>
/// The console log of <c>up</c>, <c>server</c> and <c>worker</c>: one line per entry, in the format
/// <c>Logging:Console:FormatterName</c> names (<c>simple</c>, or <c>json</c>: one JSON object per line
/// with the scopes, i.e. task id, queue, type and attempt), levels from <c>Logging:LogLevel:*</c>.
/// </summary>
internal static class Logs
{
    public static void Configure(ILoggingBuilder logging, IConfigurationManager host, ConveyorSettings settings)
    {
        // The host reads its Logging section from its own configuration: give it ours (file, env, flags).
        host.AddConfiguration(settings.Configuration);
        logging.ClearProviders();
        // Name the formatter always: without a name the console logger falls back to its legacy
        // options, which ignore the formatter options below (multi-line entries).
        logging.AddConsole(o => o.FormatterName = settings.ConsoleLog.FormatterName.ToLowerInvariant());
        logging.Services.Configure<SimpleConsoleFormatterOptions>(o => { o.SingleLine = true; o.TimestampFormat = "HH:mm:ss "; });
        logging.Services.Configure<JsonConsoleFormatterOptions>(o => { o.IncludeScopes = true; o.UseUtcTimestamp = true; o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ"; });
        // One line per request at Information would drown the useful lines (and cost throughput).
        logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
    }
}
