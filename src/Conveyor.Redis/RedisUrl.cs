using System.Globalization;
using StackExchange.Redis;

namespace Conveyor.Redis;

/// <summary>
/// Turns <c>redis://[user:password@]host:port[/db]</c> (or <c>rediss://</c> for TLS) into
/// StackExchange.Redis <see cref="ConfigurationOptions"/>; anything else is read as a
/// StackExchange.Redis configuration string (which covers Sentinel and Cluster).
/// </summary>
public static class RedisUrl
{
    public static ConfigurationOptions ToConfiguration(string urlOrConfiguration)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(urlOrConfiguration);
        var text = urlOrConfiguration.Trim();
        return text.StartsWith("redis://", StringComparison.OrdinalIgnoreCase) || text.StartsWith("rediss://", StringComparison.OrdinalIgnoreCase)
            ? Parse(text)
            : ConfigurationOptions.Parse(text);
    }

    public static ConfigurationOptions Parse(string url)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || (uri.Scheme != "redis" && uri.Scheme != "rediss"))
            throw new FormatException($"not a redis:// or rediss:// URL: '{Redact(url)}'");
        if (string.IsNullOrEmpty(uri.Host)) throw new FormatException("the Redis URL names no host");
        var c = new ConfigurationOptions { Ssl = uri.Scheme == "rediss" };
        var port = uri.IsDefaultPort || uri.Port < 0 ? 6379 : uri.Port;
        c.EndPoints.Add(uri.Host.Trim('[', ']'), port);
        if (uri.UserInfo.Length > 0)
        {
            var parts = uri.UserInfo.Split(':', 2);
            if (parts.Length == 2)
            {
                if (parts[0].Length > 0) c.User = Uri.UnescapeDataString(parts[0]);
                c.Password = Uri.UnescapeDataString(parts[1]);
            }
            else
            {
                c.Password = Uri.UnescapeDataString(parts[0]);
            }
        }
        var path = uri.AbsolutePath.Trim('/');
        if (path.Length > 0)
        {
            if (!int.TryParse(path, NumberStyles.None, CultureInfo.InvariantCulture, out var db))
                throw new FormatException($"the Redis URL path must be a database number; got '/{path}'");
            c.DefaultDatabase = db;
        }
        if (c.Ssl) c.SslHost = uri.Host;
        return c;
    }

    private static string Redact(string url)
    {
        var at = url.IndexOf('@');
        var scheme = url.IndexOf("://", StringComparison.Ordinal);
        return at > 0 && scheme > 0 ? url[..(scheme + 3)] + "***" + url[at..] : url;
    }
}
