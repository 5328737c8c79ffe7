using System.Net.Http.Json;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Conveyor.Dashboard.Tests;

/// <summary>Every page: it renders, passes axe-core (no serious or critical violation), and is photographed; sign-in; safety.</summary>
public sealed class DashboardPagesTests(DashboardServer server) : IClassFixture<DashboardServer>
{
    [Fact]
    public async Task Static_files_are_served_embedded_with_types_etags_and_the_csp()
    {
        using var http = new HttpClient { BaseAddress = new Uri(server.Url) }; // no token: the files are public, the data is not
        using var index = await http.GetAsync("/");
        Assert.Equal(System.Net.HttpStatusCode.OK, index.StatusCode);
        Assert.Equal("text/html", index.Content.Headers.ContentType?.MediaType);
        Assert.Contains("script-src 'self'", index.Headers.GetValues("Content-Security-Policy").Single(), StringComparison.Ordinal);
        Assert.Equal("nosniff", index.Headers.GetValues("X-Content-Type-Options").Single());
        var html = await index.Content.ReadAsStringAsync();
        Assert.DoesNotContain("style=", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("<style", html, StringComparison.OrdinalIgnoreCase);

        foreach (var (path, type) in new[] { ("/app/main.js", "text/javascript"), ("/app/app.css", "text/css"), ("/vendor/uplot/uPlot.iife.min.js", "text/javascript"), ("/app/favicon.svg", "image/svg+xml") })
        {
            using var res = await http.GetAsync(path);
            Assert.Equal(System.Net.HttpStatusCode.OK, res.StatusCode);
            Assert.Equal(type, res.Content.Headers.ContentType?.MediaType);
            var etag = res.Headers.ETag!;
            using var again = new HttpRequestMessage(HttpMethod.Get, path);
            again.Headers.IfNoneMatch.Add(etag);
            using var cached = await http.SendAsync(again);
            Assert.Equal(System.Net.HttpStatusCode.NotModified, cached.StatusCode);
        }
        using var missing = await http.GetAsync("/app/nope.js");
        Assert.Equal(System.Net.HttpStatusCode.NotFound, missing.StatusCode);
        using var data = await http.GetAsync("/api/v1/queues");
        Assert.Equal(System.Net.HttpStatusCode.Unauthorized, data.StatusCode);
    }

    [Fact]
    public async Task Sign_in_refuses_a_wrong_token_then_accepts_the_right_one_and_signs_out()
    {
        await using var p = await server.NewPage();
        await p.Goto("#/tasks");
        await Expect(p.Page.Locator("#token")).ToBeVisibleAsync(); // auth is required: the sign-in page, not the tasks
        await Expect(p.Page.Locator("#sign-out")).ToBeHiddenAsync();
        await p.AssertAccessible("sign-in");
        await p.Screenshot("sign-in");

        await p.Page.Locator("#token").FillAsync("not-a-token");
        await p.Page.Locator("#signin-submit").ClickAsync();
        await Expect(p.Page.Locator("#signin-error")).ToContainTextAsync("not valid");

        await p.Page.Locator("#token").FillAsync(DashboardServer.AdminToken);
        await p.Page.Locator("#signin-submit").ClickAsync();
        await Expect(p.Page.Locator("h1")).ToHaveTextAsync("Tasks"); // back where it was going
        await Expect(p.Page.Locator("#sign-out")).ToBeVisibleAsync();

        await p.Page.Locator("#sign-out").ClickAsync();
        await Expect(p.Page.Locator("#token")).ToBeVisibleAsync();
        await Expect(p.Page.Locator("#sign-out")).ToBeHiddenAsync();
        await p.Goto("#/queues");
        await Expect(p.Page.Locator("#token")).ToBeVisibleAsync();
        p.AssertNoProblems();
    }

    [Fact]
    public async Task Every_page_renders_passes_axe_and_is_photographed()
    {
        var ok = await server.Submit(new { type = "fib", args = new { n = 30 }, queue = "shots", metadata = new Dictionary<string, string> { ["customer"] = "42" } });
        var dead = await server.Submit(new { type = "fail", args = new { message = "card declined" }, queue = "shots", max_attempts = 1 });
        await server.Submit(new { type = "sleep", args = new { ms = 200 }, queue = "shots", delay = 3600 });
        await server.WaitState((string)ok["id"]!, "succeeded");
        await server.WaitState((string)dead["id"]!, "failed");
        await WaitingWithoutAWorker();

        await using var p = await server.NewPage();
        await p.SignIn();
        var pages = new (string Name, string Hash, string Ready)[]
        {
            ("overview", "#/", "#queue-table table"),
            ("tasks", "#/tasks", "#task-list table"),
            ("task-detail", $"#/tasks/{ok["id"]}", "#task-result"),
            ("dead-letters", "#/dead", "#dead-list table"),
            ("queues", "#/queues", "#queues table"),
            ("workers", "#/workers", "#workers-live table"),
            ("submit", "#/submit", "#s-args"),
            ("bulk-actions", "#/bulk", "#bulk-log > *"),
        };
        foreach (var (name, hash, ready) in pages)
        {
            await p.Goto(hash);
            await Expect(p.Page.Locator(ready).First).ToBeVisibleAsync();
            if (name == "overview") await RunSomeWork(p);
            if (name == "workers")
            {
                // A task in hand, so the Running column shows one with its age.
                var busy = (string)(await server.Submit(new { type = "sleep", args = new { ms = 20_000 }, queue = "shots" }))["id"]!;
                await server.WaitState(busy, "running");
                await Expect(p.Page.Locator("#workers-live tbody tr a.mono").First).ToBeVisibleAsync();
            }
            if (name == "submit")
            {
                // Seed 002's flow, as the page opens: fib with n = 35.
                await p.Page.Locator("#s-submit").ClickAsync();
                await Expect(p.Page.Locator("#watch-result")).ToHaveTextAsync("9227465");
            }
            if (name == "bulk-actions")
            {
                await BulkCancelScheduled();
                await p.Page.ReloadAsync();
                await Expect(p.Page.Locator("#bulk-log tbody tr").First).ToContainTextAsync("cancel");
            }
            await p.AssertAccessible(name);
            await p.Screenshot(name);
        }
        await Expect(p.Page.Locator("#task-list")).ToHaveCountAsync(0);

        await p.Goto($"#/tasks/{dead["id"]}");
        await Expect(p.Page.Locator("#task-error")).ToContainTextAsync("card declined");
        await p.AssertAccessible("task-detail (dead)");
        p.AssertNoProblems();
    }

    /// <summary>Tasks in a queue no worker consumes: the queue table shows their age and its warning.</summary>
    private async Task WaitingWithoutAWorker()
    {
        if ((await server.Queue("reports"))?["pending"] is not null) return;
        for (var i = 0; i < 2; i++) await server.Submit(new { type = "report.build", args = new { month = "2026-11" }, queue = "reports" });
    }

    /// <summary>A recorded bulk action for the log's picture.</summary>
    private async Task BulkCancelScheduled()
    {
        for (var i = 0; i < 3; i++) await server.Submit(new { type = "noop", queue = "shots", delay = 3600 });
        using var res = await server.Admin.PostAsJsonAsync("api/v1/tasks/bulk", new { action = "cancel", filter = new { queue = "shots", state = "scheduled" } });
        Assert.True(res.IsSuccessStatusCode, $"bulk answered {(int)res.StatusCode}");
    }

    /// <summary>Some tasks while the overview is open, so its live chart and counters have something to show.</summary>
    private async Task RunSomeWork(DashboardPage p)
    {
        var batch = Enumerable.Range(0, 120).Select(i => new { type = i % 10 == 0 ? "fail" : "sleep", args = new { ms = 100 + i * 15 }, queue = "shots", max_attempts = 1 }).ToArray();
        using (var res = await server.Admin.PostAsJsonAsync("api/v1/tasks/batch", new { tasks = batch }))
            Assert.True(res.IsSuccessStatusCode);
        await Expect(p.Page.Locator("#live-sums")).ToContainTextAsync(new System.Text.RegularExpressions.Regex(@"[1-9]\d* succeeded"));
        await p.Page.WaitForTimeoutAsync(3000);
    }

    [Fact]
    public async Task Dark_mode_and_phone_width_render_and_pass_axe()
    {
        await server.WaitState((string)(await server.Submit(new { type = "fib", args = new { n = 25 }, queue = "shots" }))["id"]!, "succeeded");
        await WaitingWithoutAWorker();
        await using (var dark = await server.NewPage(scheme: ColorScheme.Dark))
        {
            await dark.SignIn();
            await Expect(dark.Page.Locator("#queue-table table").First).ToBeVisibleAsync();
            await RunSomeWork(dark);
            await Expect(dark.Page.Locator("#theme-toggle")).ToHaveTextAsync("Light mode");
            await dark.AssertAccessible("overview (dark)");
            await dark.Screenshot("overview-dark");
            // The toggle overrides the system preference and is remembered.
            await dark.Page.Locator("#theme-toggle").ClickAsync();
            await Expect(dark.Page.Locator("html")).ToHaveAttributeAsync("data-theme", "light");
            await dark.Page.ReloadAsync();
            await Expect(dark.Page.Locator("html")).ToHaveAttributeAsync("data-theme", "light");
            dark.AssertNoProblems();
        }
        await using var phone = await server.NewPage(width: 390, height: 844);
        await phone.SignIn();
        await Expect(phone.Page.Locator("#queue-table table").First).ToBeVisibleAsync();
        await RunSomeWork(phone);
        await phone.AssertAccessible("overview (phone)");
        var overflow = await phone.Page.EvaluateAsync<bool>("() => document.documentElement.scrollWidth > window.innerWidth + 1");
        Assert.False(overflow, "the overview scrolls sideways at 390 px");
        await phone.Screenshot("overview-phone");
        phone.AssertNoProblems();
    }

    [Fact]
    public async Task The_overview_draws_the_stored_history_from_the_history_route()
    {
        await server.WaitState((string)(await server.Submit(new { type = "fib", args = new { n = 15 }, queue = "shots" }))["id"]!, "succeeded");
        await using var p = await server.NewPage();
        await p.SignIn();
        await Expect(p.Page.Locator("#history-chart canvas")).ToHaveCountAsync(1);
        var note = p.Page.Locator("#history-sums");
        await Expect(note).ToContainTextAsync(new System.Text.RegularExpressions.Regex(@"Last hour: [1-9][\d,]* succeeded"));
        var shown = long.Parse(System.Text.RegularExpressions.Regex.Match((await note.TextContentAsync())!, @"Last hour: ([\d,]+) succeeded").Groups[1].Value
            .Replace(",", "", StringComparison.Ordinal), System.Globalization.CultureInfo.InvariantCulture);
        var buckets = (await server.Get("api/v1/history?minutes=60"))["buckets"]!.AsArray();
        Assert.Equal(60, buckets.Count);
        Assert.True(buckets.Sum(b => (long)b!["succeeded"]!) >= shown, "the page shows more than the route answers");
        p.AssertNoProblems();
    }

    [Fact]
    public async Task Keyboard_reaches_the_skip_link_and_the_navigation()
    {
        await using var p = await server.NewPage();
        await p.SignIn();
        await p.Page.ReloadAsync(); // a fresh load: the first Tab reaches the skip link
        await Expect(p.Page.Locator("h1")).ToHaveTextAsync("Overview");
        await p.Page.Keyboard.PressAsync("Tab");
        await Expect(p.Page.Locator("#skip-link")).ToBeFocusedAsync();
        await p.Page.Keyboard.PressAsync("Enter");
        await Expect(p.Page.Locator("#main")).ToBeFocusedAsync();
        await p.Page.Locator("nav a[data-route=queues]").FocusAsync();
        await p.Page.Keyboard.PressAsync("Enter");
        await Expect(p.Page.Locator("h1")).ToHaveTextAsync("Queues");
        await Expect(p.Page.Locator("nav a[data-route=queues]")).ToHaveAttributeAsync("aria-current", "page");
        p.AssertNoProblems();
    }

    [Fact]
    public async Task Html_and_script_in_args_and_errors_render_as_text_and_run_nothing()
    {
        const string evil = "<img src=x onerror=\"window.__pwned=1\"><script>window.__pwned=2</script><b id=injected>bold</b>";
        var t = await server.Submit(new { type = "fail", args = new { message = evil }, queue = "xss1", max_attempts = 1, metadata = new Dictionary<string, string> { ["note"] = evil } });
        var id = (string)t["id"]!;
        await server.WaitState(id, "failed");

        await using var p = await server.NewPage();
        await p.SignIn();
        foreach (var hash in new[] { $"#/tasks/{id}", "#/tasks?queue=xss1", "#/dead?queue=xss1", "#/" })
        {
            await p.Goto(hash);
            await Expect(p.Page.GetByText("<script>window.__pwned=2</script>", new() { Exact = false }).First).ToBeVisibleAsync();
            Assert.Equal(0, await p.Page.Locator("#injected").CountAsync());
            Assert.Equal(0, await p.Page.Locator("main img").CountAsync());
            Assert.Equal(0, await p.Page.Locator("main script").CountAsync());
            Assert.Null(await p.Page.EvaluateAsync<int?>("() => window.__pwned ?? null"));
        }
        await Expect(p.Page.Locator("#task-args")).ToHaveCountAsync(0);
        p.AssertNoProblems(); // includes: no alert/confirm dialog opened
    }

    [Fact]
    public async Task An_action_by_a_token_without_admin_is_refused_and_changes_nothing()
    {
        await server.WaitState((string)(await server.Submit(new { type = "noop", queue = "pause1" }))["id"]!, "succeeded");
        await using var p = await server.NewPage();
        await p.SignIn(DashboardServer.SubmitToken); // reads are allowed
        await p.Goto("#/queues");
        await p.Page.GetByRole(AriaRole.Button, new() { Name = "Pause queue pause1" }).ClickAsync();
        await Expect(p.Page.Locator(".toast.error")).ToContainTextAsync("lacks a scope");
        Assert.False((bool)(await server.Queue("pause1"))!["paused"]!);
        p.AssertNoProblems();
    }

    [Fact]
    public async Task An_action_posted_by_cookie_without_the_anti_forgery_token_is_refused()
    {
        await using var p = await server.NewPage();
        await p.SignIn();
        var status = await p.Page.EvaluateAsync<int>("async () => (await fetch('/api/v1/queues/default/pause', { method: 'POST' })).status");
        Assert.Equal(403, status);
        var withToken = await p.Page.EvaluateAsync<int>(
            "async () => { const s = await (await fetch('/api/v1/session')).json(); return (await fetch('/api/v1/queues/default/resume', { method: 'POST', headers: { 'X-CSRF-Token': s.csrf_token } })).status; }");
        Assert.Equal(200, withToken);
    }
}
