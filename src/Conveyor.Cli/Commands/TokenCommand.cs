using System.CommandLine;
using Conveyor.Cli.Infrastructure;
using Conveyor.Server.Auth;

namespace Conveyor.Cli.Commands;

/// <summary><c>conveyor token create --scope …</c>: a new secret, and the hashed line a server stores.</summary>
internal static class TokenCommand
{
    public static Command Create()
    {
        var scopes = new Option<string[]>("--scope", "-s")
        {
            Description = "submit (producers), work (workers), admin (everything); repeat or comma-separate",
            Required = true,
            AllowMultipleArgumentsPerToken = true,
        };
        var name = new Option<string?>("--name") { Description = "A label shown in logs" };
        var file = new Option<string?>("--file") { Description = "Append the hashed line to this tokens file (the server reads it with --tokens-file or CONVEYOR_TOKENS_FILE)" };
        var create = new Command("create", "Create a token; prints the secret once, and stores only its SHA-256") { scopes, name, file };
        create.SetRun(async (r, ct) =>
        {
            var wanted = r.GetValue(scopes)!.SelectMany(s => s.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).Distinct().ToList();
            foreach (var s in wanted)
                if (!Scopes.IsKnown(s)) throw new CliException($"--scope: '{s}' is not a scope; use submit, work or admin");
            var label = r.GetValue(name);
            if (label is not null && (label.Length is 0 or > 100 || label.Any(char.IsWhiteSpace)))
                throw new CliException("--name: 1 to 100 characters, no spaces");
            var created = ApiTokens.Create(wanted, label);
            if (r.GetValue(file) is { } path)
                await File.AppendAllTextAsync(path, created.Line + Environment.NewLine, ct).ConfigureAwait(false);
            if (Output.IsJson(r)) Output.Json(new { token = created.Secret, line = created.Line, scopes = wanted });
            else
            {
                Console.WriteLine(created.Secret);
                Console.Error.WriteLine($"token for scopes {string.Join(",", wanted)}: shown once, keep it secret.");
                Console.Error.WriteLine(r.GetValue(file) is { } p
                    ? $"its hash was appended to {p}; start the server with --tokens-file {p}"
                    : $"add this line to the server's tokens file (--tokens-file or CONVEYOR_TOKENS_FILE):\n  {created.Line}");
            }
            return ExitCodes.Ok;
        });
        var command = new Command("token", "API tokens");
        command.Subcommands.Add(create);
        return command;
    }
}
