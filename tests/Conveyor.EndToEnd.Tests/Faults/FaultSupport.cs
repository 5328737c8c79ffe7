using System.Net;
using System.Text.Json;
using Conveyor.Client;
using Conveyor.Model;

namespace Conveyor.EndToEnd.Tests.Faults;

/// <summary>Small helpers the fault tests share: readiness probes, padded tasks, "all done".</summary>
internal static class FaultSupport
{
    /// <summary>Polls <c>/readyz</c> until it answers 200 (ready) or 503 (not); returns the last body. Bounded.</summary>
    public static async Task<string> WaitForReadyz(HttpClient http, bool ready, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        var last = "";
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                using var response = await http.GetAsync("readyz");
                last = await response.Content.ReadAsStringAsync();
                if ((response.StatusCode == HttpStatusCode.OK) == ready) return last;
                last = $"{(int)response.StatusCode} {last}";
            }
            catch (HttpRequestException e) { last = e.Message; }
            await Task.Delay(200);
        }
        Assert.Fail($"{http.BaseAddress}readyz never answered {(ready ? "200" : "503")}; last: {last}");
        return last;
    }

    /// <summary><paramref name="n"/> <c>noop</c> tasks whose args carry <paramref name="padBytes"/> of filler (to fill a store).</summary>
    public static List<TaskSubmission> Noops(int n, int padBytes = 0)
    {
        var args = JsonDocument.Parse(JsonSerializer.Serialize(new { pad = new string('x', padBytes) })).RootElement.Clone();
        return [.. Enumerable.Range(0, n).Select(_ => new TaskSubmission { Type = "noop", Args = args })];
    }

    /// <summary>Waits until nothing in <c>default</c> is pending, scheduled or running. Bounded.</summary>
    public static Task WaitAllDone(ConveyorClient client, TimeSpan timeout) =>
        CrashRecoveryTests.WaitUntil(async () => (await client.Queues()).Where(q => q.Name == "default").Sum(q => q.Pending + q.Scheduled + q.Running) == 0,
            timeout, "every task is finished");

    /// <summary>How many times <paramref name="text"/> occurs in <paramref name="output"/>.</summary>
    public static int Occurrences(string output, string text)
    {
        var n = 0;
        for (var i = output.IndexOf(text, StringComparison.Ordinal); i >= 0; i = output.IndexOf(text, i + text.Length, StringComparison.Ordinal)) n++;
        return n;
    }
}
