namespace Conveyor.Cli.Infrastructure;

/// <summary>
/// What <c>--store</c> names: a SQLite file (the default: <c>conveyor.db</c> in the working
/// directory), <c>:memory:</c>, a Redis URL (<c>redis://host:port[/db][?fastlane=on|off]</c>, <c>rediss://…</c>), or
/// RabbitMQ with its Redis records (<c>rabbitmq://user:pass@host:port/vhost?records=redis://…</c>).
/// </summary>
internal sealed record StoreSpec(StoreKind Kind, string Location)
{
    public const string DefaultFile = "conveyor.db";

    public static StoreSpec Parse(string? text, string? defaultFile = DefaultFile, string label = "--store")
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            if (defaultFile is null) throw new CliException($"{label} is required");
            return new StoreSpec(StoreKind.Sqlite, Path.GetFullPath(defaultFile));
        }
        text = text.Trim();
        if (text.StartsWith("redis://", StringComparison.OrdinalIgnoreCase) || text.StartsWith("rediss://", StringComparison.OrdinalIgnoreCase))
        {
            if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || string.IsNullOrEmpty(uri.Host))
                throw new CliException($"{label}: '{text}' is not a valid Redis URL (redis://host:port[/db])");
            // lane2: the query (?fastlane=on|off) and the path are checked at the start, by name, not at the first connect
            try { Conveyor.Redis.RedisUrl.Parse(text); }
            catch (FormatException e) { throw new CliException($"{label}: '{RedactPassword(text)}': {e.Message}"); }
            return new StoreSpec(StoreKind.Redis, text);
        }
        if (text.StartsWith("rabbitmq://", StringComparison.OrdinalIgnoreCase)) return RabbitMq(text, label); // rabbit
        if (text == ":memory:") return new StoreSpec(StoreKind.Sqlite, text);
        if (text.Contains("://", StringComparison.Ordinal))
            throw new CliException($"{label}: '{text}' is neither a file path, ':memory:', a redis:// nor a rabbitmq:// URL");
        if (text.StartsWith("sqlite:", StringComparison.OrdinalIgnoreCase)) text = text["sqlite:".Length..];
        var full = Path.GetFullPath(text);
        var dir = Path.GetDirectoryName(full);
        if (dir is not null && !Directory.Exists(dir))
            throw new CliException($"{label}: the folder '{dir}' does not exist");
        if (Directory.Exists(full))
            throw new CliException($"{label}: '{full}' is a folder; name a database file");
        return new StoreSpec(StoreKind.Sqlite, full);
    }

    public override string ToString() => Kind switch
    {
        StoreKind.Redis => RedactPassword(Location),
        StoreKind.RabbitMq => Conveyor.RabbitMq.RabbitMqStoreOptions.Redacted(Location),
        _ => $"sqlite:{Location}",
    };

    private static StoreSpec RabbitMq(string text, string label)
    {
        try { Conveyor.RabbitMq.RabbitMqStoreOptions.FromUrl(text); }
        catch (ArgumentException e) { throw new CliException($"{label}: {e.Message.Split(" (Parameter")[0]}"); }
        return new StoreSpec(StoreKind.RabbitMq, text);
    }

    private static string RedactPassword(string url) =>
        Uri.TryCreate(url, UriKind.Absolute, out var u) && !string.IsNullOrEmpty(u.UserInfo)
            ? url.Replace(u.UserInfo + "@", "***@", StringComparison.Ordinal)
            : url;
}

internal enum StoreKind { Sqlite, Redis, RabbitMq }
