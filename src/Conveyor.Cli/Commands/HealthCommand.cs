using System.CommandLine;
using Conveyor.Cli.Infrastructure;

namespace Conveyor.Cli.Commands;

/// <summary>
/// <c>conveyor health</c>: GET a broker's <c>/healthz</c>, exit 0 when it answers 2xx and 1 otherwise
/// (unreachable, refused, timed out, 5xx). It is the container image's HEALTHCHECK: the runtime image
/// has no curl, and Docker reads exactly 0 as healthy and 1 as unhealthy (2 is reserved), so every
/// failure here is 1, unlike the other commands' exit codes.
/// </summary>
internal static class HealthCommand
{
    public const string UrlEnv = "CONVEYOR_HEALTH_URL";
    public const string DefaultUrl = "http://127.0.0.1:5000/healthz";

    public static Command Create()
    {
        var url = new Option<string?>("--url") { Description = $"URL to probe (env {UrlEnv}; default {DefaultUrl})" };
        var timeout = new Option<string>("--timeout") { Description = "Give up after this long (default 3s)", DefaultValueFactory = _ => "3s" };
        var command = new Command("health", "Probe a broker's /healthz: exit 0 when healthy, 1 when not (a container HEALTHCHECK)") { url, timeout };
        command.SetRun(async (r, ct) =>
        {
            var target = r.GetValue(url) ?? Environment.GetEnvironmentVariable(UrlEnv) ?? DefaultUrl;
            if (!Uri.TryCreate(target, UriKind.Absolute, out var uri) || (uri.Scheme != "http" && uri.Scheme != "https"))
                throw new CliException($"--url: '{target}' is not an http:// or https:// URL");
            var limit = Durations.Parse(r.GetValue(timeout)!, "--timeout");
            using var http = new HttpClient { Timeout = limit };
            try
            {
                using var response = await http.GetAsync(uri, ct).ConfigureAwait(false);
                if (response.IsSuccessStatusCode)
                {
                    Console.WriteLine($"healthy: {uri} answered {(int)response.StatusCode}");
                    return ExitCodes.Ok;
                }
                await Console.Error.WriteLineAsync($"conveyor health: unhealthy: {uri} answered {(int)response.StatusCode}").ConfigureAwait(false);
            }
            catch (HttpRequestException e)
            {
                await Console.Error.WriteLineAsync($"conveyor health: unhealthy: {uri}: {e.Message}").ConfigureAwait(false);
            }
            catch (TaskCanceledException) when (!ct.IsCancellationRequested)
            {
                await Console.Error.WriteLineAsync($"conveyor health: unhealthy: {uri} did not answer within {limit.TotalSeconds:0.###}s").ConfigureAwait(false);
            }
            return ExitCodes.Failed;
        });
        return command;
    }
}
