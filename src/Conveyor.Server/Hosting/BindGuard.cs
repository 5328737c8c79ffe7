using System.Net;

namespace Conveyor.Server.Hosting;

/// <summary>DESIGN §6: a server bound to anything but loopback refuses to start without tokens.</summary>
public static class BindGuard
{
    /// <summary>Throws <see cref="ServerConfigurationException"/> with a clear message when the options are unsafe or invalid.</summary>
    public static void Check(ServerOptions options)
    {
        if (options.Tokens.Count > 0) return;
        foreach (var url in options.ListenUrls())
        {
            if (!IsLoopback(url))
                throw new ServerConfigurationException(
                    $"refusing to listen on {url} without tokens: anyone who can reach it could submit, lease and purge tasks. " +
                    "Configure tokens (CONVEYOR_TOKENS=\"admin:<secret>\", a tokens file from 'conveyor token create', or --token), " +
                    "or listen on 127.0.0.1 only.");
        }
    }

    public static bool IsLoopback(string url)
    {
        if (!Uri.TryCreate(url.Replace("://*", "://0.0.0.0", StringComparison.Ordinal).Replace("://+", "://0.0.0.0", StringComparison.Ordinal), UriKind.Absolute, out var uri))
            return false;
        var host = uri.Host.Trim('[', ']');
        if (host.Equals("localhost", StringComparison.OrdinalIgnoreCase)) return true;
        return IPAddress.TryParse(host, out var ip) && IPAddress.IsLoopback(ip);
    }
}

/// <summary>The server's settings do not allow it to start; the message says why and what to do.</summary>
public sealed class ServerConfigurationException(string message) : Exception(message);
