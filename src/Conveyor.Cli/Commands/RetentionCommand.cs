using System.CommandLine;
using Conveyor.Cli.Infrastructure;
using Conveyor.Client.Protocol;
using Conveyor.Engine;
using Conveyor.Retention;

namespace Conveyor.Cli.Commands;

/// <summary>
/// <c>conveyor retention show|set|clear</c> through a broker (RetentionGet / RetentionSet / RetentionClear), and
/// the <c>--retention</c> / <c>--retention-max</c> flags of <c>up</c> and <c>server</c>.
/// </summary>
internal static class RetentionCommand
{
    public const string RulesHelp = "succeeded=1h,failed=30d,cancelled=1d; per queue: emails:succeeded=10m; with a count: succeeded=1h/1000 or succeeded=/1000";

    public static Option<string?> RulesFlag() => new("--retention") { Description = "How long terminal tasks are kept while the store holds no policy: " + RulesHelp + " (default: 7d for everything)" };
    public static Option<long?> MaxFlag() => new("--retention-max") { Description = "At most this many tasks kept per queue and terminal state (default: no limit)" };

    public static Command Create()
    {
        var command = new Command("retention", "Show or set how long terminal tasks are kept (per queue and state, by age and count)");
        var show = new Command("show", "The retention policy in force, and whether the store or the broker's configuration gives it");
        show.SetRun(async (r, ct) =>
        {
            var client = BrokerClient.Create(r, out var http);
            using (http) return Print(r, await BrokerClient.Call(() => client.RetentionGet(ct)).ConfigureAwait(false));
        });
        var rules = new Argument<string>("RULES") { Description = RulesHelp };
        var max = MaxFlag();
        var defaultAge = new Option<string?>("--default") { Description = "Age of every state no rule speaks of (default 7d)" };
        var set = new Command("set", "Store a policy every broker and worker on the store applies (admin)") { rules, max, defaultAge };
        set.SetRun(async (r, ct) =>
        {
            RetentionPolicy policy;
            try
            {
                var age = TaskDefaultsAge(r.GetValue(defaultAge));
                policy = new RetentionPolicy { DefaultMaxAge = age, Rules = RetentionText.ParseRules(r.GetValue(rules), r.GetValue(max)) }.Validated();
            }
            catch (FormatException e) { throw new CliException(e.Message); }
            catch (ConveyorValidationException e) { throw new CliException(e.Message); }
            var client = BrokerClient.Create(r, out var http);
            using (http) return Print(r, await BrokerClient.Call(() => client.RetentionSet(policy, ct)).ConfigureAwait(false));
        });
        var clear = new Command("clear", "Remove the stored policy: each process applies its configured one again (admin)");
        clear.SetRun(async (r, ct) =>
        {
            var client = BrokerClient.Create(r, out var http);
            using (http) return Print(r, await BrokerClient.Call(() => client.RetentionClear(ct)).ConfigureAwait(false));
        });
        command.Subcommands.Add(show);
        command.Subcommands.Add(set);
        command.Subcommands.Add(clear);
        return command;
    }

    private static TimeSpan TaskDefaultsAge(string? text) =>
        text is null ? Model.TaskDefaults.Retention
        : RetentionText.TryParse(text, out var age) ? age
        : throw new CliException($"--default: '{text}' is not an age (examples: 90s, 30m, 1h, 30d)");

    private static int Print(ParseResult r, RetentionResponse response)
    {
        if (Output.IsJson(r)) { Output.Json(response); return ExitCodes.Ok; }
        var policy = response.Policy.ToPolicy();
        Console.WriteLine($"source: {response.Source}; default age {RetentionText.Format(policy.DefaultMaxAge)}");
        Console.WriteLine(policy.Rules.Count == 0 ? "rules: none" : "rules: " + RetentionText.FormatRules(policy.Rules));
        return ExitCodes.Ok;
    }
}
