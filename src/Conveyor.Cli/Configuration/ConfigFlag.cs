using System.CommandLine;

namespace Conveyor.Cli.Configuration;

/// <summary>
/// A command-line flag that sets one configuration key (<c>--concurrency</c> sets
/// <c>Worker:Concurrency</c>). A flag that is given wins over the environment and the file; one that
/// is not given leaves the key to them, so the flags carry no defaults of their own.
/// </summary>
internal sealed record ConfigFlag(Option<string?> Option, string Key)
{
    public static ConfigFlag Create(string name, string key, string description, params string[] aliases) =>
        new(new Option<string?>(name, aliases) { Description = $"{description} [{key}]" }, key);
}
