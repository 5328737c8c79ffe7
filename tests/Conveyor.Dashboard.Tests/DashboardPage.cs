using Deque.AxeCore.Playwright;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Conveyor.Dashboard.Tests;

/// <summary>
/// A browser page on the dashboard that records what must never happen: uncaught script errors,
/// CSP refusals, and dialogs (alert/confirm/prompt) opened by page content.
/// </summary>
public sealed class DashboardPage : IAsyncDisposable
{
    private readonly List<string> _problems = [];

    public DashboardPage(IBrowserContext context, IPage page, DashboardServer server)
    {
        Context = context;
        Page = page;
        Server = server;
        page.PageError += (_, e) => { lock (_problems) _problems.Add("page error: " + e); };
        page.Console += (_, m) =>
        {
            // A refused fetch (a wrong token at sign-in, an action without admin) logs "Failed to load resource": the page reports it itself.
            if (m.Type == "error" && !m.Text.StartsWith("Failed to load resource", StringComparison.Ordinal))
                lock (_problems) _problems.Add("console error: " + m.Text);
        };
        page.Dialog += (_, d) =>
        {
            lock (_problems) _problems.Add($"a {d.Type} dialog opened: {d.Message}");
            _ = d.DismissAsync();
        };
    }

    public IBrowserContext Context { get; }
    public IPage Page { get; }
    public DashboardServer Server { get; }

    public IReadOnlyList<string> Problems { get { lock (_problems) return [.. _problems]; } }

    public Task Goto(string hash) => Page.GotoAsync("/" + hash);

    /// <summary>Signs in through the sign-in page and waits for the overview.</summary>
    public async Task SignIn(string token = DashboardServer.AdminToken, string then = "#/")
    {
        await Page.GotoAsync("/" + then);
        await Expect(Page.Locator("#token")).ToBeVisibleAsync();
        await Page.Locator("#token").FillAsync(token);
        await Page.Locator("#signin-submit").ClickAsync();
        await Expect(Page.Locator("#token")).ToHaveCountAsync(0);
    }

    /// <summary>axe-core over the page: no serious or critical violation.</summary>
    public async Task AssertAccessible(string name)
    {
        var result = await Page.RunAxe();
        var bad = result.Violations.Where(v => v.Impact is "serious" or "critical").ToList();
        Assert.True(bad.Count == 0, $"{name}: " + string.Join("\n", bad.Select(v =>
            $"{v.Impact} {v.Id}: {v.Help} at {string.Join(", ", v.Nodes.Select(n => string.Join(" ", n.Target)))}")));
    }

    /// <summary>A full-page screenshot into docs/screenshots/<paramref name="name"/>.png.</summary>
    public async Task Screenshot(string name)
    {
        await Page.WaitForTimeoutAsync(300); // let the last coalesced render land
        await Page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(RepoPaths.Screenshots, name + ".png"), FullPage = true });
    }

    public void AssertNoProblems() => Assert.True(Problems.Count == 0, string.Join("\n", Problems));

    public async ValueTask DisposeAsync() => await Context.CloseAsync();
}

internal static class RepoPaths
{
    /// <summary>docs/screenshots of the checkout these tests were built from.</summary>
    public static string Screenshots { get; } = Find();

    private static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Conveyor.slnx")))
            {
                var path = Path.Combine(dir.FullName, "docs", "screenshots");
                Directory.CreateDirectory(path);
                return path;
            }
        var fallback = Path.Combine(AppContext.BaseDirectory, "screenshots");
        Directory.CreateDirectory(fallback);
        return fallback;
    }
}
