using System.CommandLine;
using System.Net.Sockets;
using Conveyor.Engine;

namespace Conveyor.Cli.Infrastructure;

/// <summary>
/// Wraps every command's action: Ctrl-C and SIGTERM become cancellation (<see cref="TerminationSignals"/>),
/// and every failure becomes one clear
/// line on stderr with a documented exit code (never a stack trace for an expected error).
/// </summary>
internal static class CommandRunner
{
    public static void SetRun(this Command command, Func<ParseResult, CancellationToken, Task<int>> action) =>
        command.SetAction(async (parse, _) =>
        {
            using var signals = new TerminationSignals();
            var ct = signals.Token;
            try
            {
                return await action(parse, ct).ConfigureAwait(false);
            }
            catch (CliException e)
            {
                await Console.Error.WriteLineAsync($"conveyor {command.Name}: {e.Message}").ConfigureAwait(false);
                return e.ExitCode;
            }
            catch (Configuration.SettingsException e)
            {
                foreach (var error in e.Errors)
                    await Console.Error.WriteLineAsync($"conveyor {command.Name}: {error}").ConfigureAwait(false);
                return ExitCodes.Usage;
            }
            catch (ConveyorValidationException e)
            {
                foreach (var error in e.Errors)
                    await Console.Error.WriteLineAsync($"conveyor {command.Name}: {error.Field}: {error.Message}").ConfigureAwait(false);
                return ExitCodes.Usage;
            }
            catch (HttpRequestException e) when (e.InnerException is SocketException || e.HttpRequestError == HttpRequestError.ConnectionError)
            {
                await Console.Error.WriteLineAsync($"conveyor {command.Name}: cannot reach the broker: {e.Message}").ConfigureAwait(false);
                return ExitCodes.Unavailable;
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                await Console.Error.WriteLineAsync($"conveyor {command.Name}: interrupted").ConfigureAwait(false);
                return 130;
            }
        });
}
