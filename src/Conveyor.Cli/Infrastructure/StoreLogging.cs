using Microsoft.Extensions.Logging;

namespace Conveyor.Cli.Infrastructure;

/// <summary>
/// Console logging for a store opened before its host is built (<c>server</c>, <c>worker --store</c>),
/// in the hosts' own format, so a Redis store's "connection failed; reconnecting" and "restored"
/// lines reach the process's log.
/// </summary>
internal static class StoreLogging
{
    public static ILoggerFactory Create() =>
        LoggerFactory.Create(b => b.AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "HH:mm:ss "; }));
}
