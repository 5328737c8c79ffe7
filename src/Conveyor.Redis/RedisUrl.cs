using System.Globalization;
using StackExchange.Redis;

namespace Conveyor.Redis;

/// <summary>
/// Turns <c>redis://[user:password@]host:port[/db][?fastlane=on|off]</c> (or <c>rediss://</c> for TLS)
/// into StackExchange.Redis <see cref="ConfigurationOptions"/>; anything else is read as a
/// StackExchange.Redis configuration string (which covers Sentinel and Cluster). The query holds
/// Conveyor's own settings (<see cref="Settings"/>); a key it does not know, or a bad value, is refused.
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
        ReadQuery(uri); // lane2: refused here too, so a bad query stops the store before it connects
        return c;
    }

    /// <summary>
    /// lane2: the store settings a <c>redis://</c> URL's query carries: <c>fastlane=on|off</c>
    /// (<see cref="RedisStoreOptions.FastLane"/>; also true/false, 1/0). Null for a setting the URL
    /// does not name, and for a configuration string (which has no query).
    /// </summary>
    /// <exception cref="FormatException">A query key other than those, or a value none of those.</exception>
    public static RedisUrlSettings Settings(string urlOrConfiguration)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(urlOrConfiguration);
        var text = urlOrConfiguration.Trim();
        if (!text.StartsWith("redis://", StringComparison.OrdinalIgnoreCase) && !text.StartsWith("rediss://", StringComparison.OrdinalIgnoreCase))
            return default;
        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri)) throw new FormatException($"not a redis:// or rediss:// URL: '{Redact(text)}'");
        return ReadQuery(uri);
    }

    private static RedisUrlSettings ReadQuery(Uri uri)
    {
        var query = uri.Query.TrimStart('?');
        bool? lane = null;
        if (query.Length == 0) return default;
        foreach (var pair in query.Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = pair.IndexOf('=');
            var key = Uri.UnescapeDataString(eq < 0 ? pair : pair[..eq]);
            var value = eq < 0 ? "" : Uri.UnescapeDataString(pair[(eq + 1)..]);
            if (!key.Equals("fastlane", StringComparison.OrdinalIgnoreCase))
                throw new FormatException($"the Redis URL's query names '{key}', which is not a setting (known: fastlane=on|off)");
            lane = value.ToLowerInvariant() switch
            {
                "on" or "true" or "1" => true,
                "off" or "false" or "0" => false,
                _ => throw new FormatException($"the Redis URL's fastlane must be on or off; got '{value}'"),
            };
        }
        return new RedisUrlSettings(lane);
    }

    private static string Redact(string url)
    {
        var at = url.IndexOf('@');
        var scheme = url.IndexOf("://", StringComparison.Ordinal);
        return at > 0 && scheme > 0 ? url[..(scheme + 3)] + "***" + url[at..] : url;
    }
}

/// <summary>lane2: what a <c>redis://</c> URL's query sets (<see cref="RedisUrl.Settings"/>); null: not named.</summary>
public readonly record struct RedisUrlSettings(bool? FastLane);
