using System.CommandLine;
using System.Net;
using Conveyor.Client;

namespace Conveyor.Cli.Infrastructure;

/// <summary>The HTTP client of the commands that talk to a broker (submit, status, dlq...).</summary>
internal static class BrokerClient
{
    public static ConveyorClient Create(ParseResult r, out HttpClient http)
    {
        var url = GlobalOptions.ResolveBroker(r);
        http = new HttpClient { BaseAddress = new Uri(url + "/"), Timeout = TimeSpan.FromMinutes(6) };
        return new ConveyorClient(http, GlobalOptions.ResolveToken(r));
    }

    /// <summary>Runs a broker call, turning API refusals into CLI errors with the right exit code.</summary>
    public static async Task<T> Call<T>(Func<Task<T>> call)
    {
        try
        {
            return await call().ConfigureAwait(false);
        }
        catch (ConveyorApiException e)
        {
            var code = e.Status switch
            {
                (int)HttpStatusCode.Unauthorized or (int)HttpStatusCode.Forbidden => ExitCodes.Unavailable,
                (int)HttpStatusCode.NotFound => ExitCodes.NotFound,
                >= 500 => ExitCodes.Unavailable,
                _ => ExitCodes.Usage,
            };
            var message = e.Errors.Count == 0 ? e.Message : e.Message + Environment.NewLine + string.Join(Environment.NewLine, e.Errors.Select(f => $"  {f.Field}: {f.Message}"));
            throw new CliException(message, code);
        }
    }
}
