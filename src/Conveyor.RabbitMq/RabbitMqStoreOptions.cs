using Conveyor.Redis;
using Microsoft.Extensions.Logging;

namespace Conveyor.RabbitMq;

/// <summary>
/// Where RabbitMQ is and the records store it pairs with: <c>rabbitmq://user:pass@host:port/vhost?records=redis://host:port</c>
/// (<see cref="FromUrl"/>). RabbitMQ delivers; Redis keeps the records, the leases and the worker
/// registry (docs/rabbitmq.md).
/// </summary>
public sealed class RabbitMqStoreOptions
{
    /// <summary>The AMQP URI: <c>amqp://user:pass@host:port/vhost</c> (the vhost URL-encoded; none: "/").</summary>
    public required Uri AmqpUri { get; set; }

    /// <summary>The records store (Redis): its URL or configuration, key prefix and so on.</summary>
    public required RedisStoreOptions Records { get; set; }

    /// <summary>RabbitMQ queue names are this prefix and the Conveyor queue name ("conveyor.default").</summary>
    public string QueuePrefix { get; set; } = "conveyor.";

    /// <summary>How many outbox entries one publish round takes per queue (they are published, confirmed, then marked).</summary>
    public int OutboxBatch { get; set; } = 500;

    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    public ILoggerFactory? LoggerFactory { get; set; }

    /// <summary>
    /// Parses <c>rabbitmq://user:pass@host:port/vhost?prefix=conveyor.&amp;records=redis://…</c>. The records
    /// URL runs to the end of the text (put it last; it may have a query of its own). The port defaults to 5672.
    /// </summary>
    public static RabbitMqStoreOptions FromUrl(string url)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(url);
        if (!url.StartsWith("rabbitmq://", StringComparison.OrdinalIgnoreCase))
            throw new ArgumentException($"'{Redacted(url)}' is not a rabbitmq:// URL", nameof(url));
        var q = url.IndexOf('?', StringComparison.Ordinal);
        var main = q < 0 ? url : url[..q];
        var query = q < 0 ? "" : url[(q + 1)..];
        string? records = null;
        var prefix = "conveyor.";
        while (query.Length > 0)
        {
            if (query.StartsWith("records=", StringComparison.Ordinal)) { records = Uri.UnescapeDataString(query["records=".Length..]); break; }
            var amp = query.IndexOf('&', StringComparison.Ordinal);
            var part = amp < 0 ? query : query[..amp];
            query = amp < 0 ? "" : query[(amp + 1)..];
            if (part.StartsWith("prefix=", StringComparison.Ordinal)) prefix = Uri.UnescapeDataString(part["prefix=".Length..]);
            else if (part.Length > 0) throw new ArgumentException($"unknown setting '{part.Split('=')[0]}' in the rabbitmq:// URL (prefix, records)", nameof(url));
        }
        if (records is null) throw new ArgumentException("the rabbitmq:// URL needs its records store: ?records=redis://host:port", nameof(url));
        if (!records.StartsWith("redis://", StringComparison.OrdinalIgnoreCase) && !records.StartsWith("rediss://", StringComparison.OrdinalIgnoreCase))
            throw new ArgumentException($"records={records}: the records store must be Redis (redis://host:port)", nameof(url));
        if (!Uri.TryCreate("amqp://" + main["rabbitmq://".Length..], UriKind.Absolute, out var amqp) || string.IsNullOrEmpty(amqp.Host))
            throw new ArgumentException($"'{Redacted(url)}' is not a valid rabbitmq:// URL (rabbitmq://user:pass@host:port/vhost?records=redis://…)", nameof(url));
        if (amqp.IsDefaultPort || amqp.Port <= 0) amqp = new UriBuilder(amqp) { Port = 5672 }.Uri;
        return new RabbitMqStoreOptions { AmqpUri = amqp, Records = RedisStoreOptions.FromUrl(records), QueuePrefix = prefix };
    }

    /// <summary>The URL with its passwords hidden, for logs and messages.</summary>
    public static string Redacted(string url)
    {
        var at = url.IndexOf('@', StringComparison.Ordinal);
        var scheme = url.IndexOf("://", StringComparison.Ordinal);
        var head = at > scheme && scheme >= 0 ? url[..(scheme + 3)] + "***" + url[at..] : url;
        var r = head.IndexOf("records=", StringComparison.Ordinal);
        if (r < 0) return head;
        var rec = head[(r + "records=".Length)..];
        var rat = rec.IndexOf('@', StringComparison.Ordinal);
        var rs = rec.IndexOf("://", StringComparison.Ordinal);
        return rat > rs && rs >= 0 ? head[..(r + "records=".Length)] + rec[..(rs + 3)] + "***" + rec[rat..] : head;
    }
}
