using System.Net.Http.Json;
using Microsoft.Playwright;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace Conveyor.Dashboard.Tests;

/// <summary>The scenarios of issue 10, each in its own queue so the tests stay independent.</summary>
public sealed partial class DashboardFlowTests(DashboardServer server, ITestOutputHelper output) : IClassFixture<DashboardServer>
{
    [Fact]
    public async Task Submit_fib_20_from_the_submit_page_and_see_6765_without_a_reload()
    {
        await using var p = await server.NewPage();
        await p.SignIn(then: "#/submit");
        await p.Page.Locator("#s-type").FillAsync("fib");
        await p.Page.Locator("#s-type").DispatchEventAsync("change");
        await p.Page.Locator("#a-n").FillAsync("20");
        await Expect(p.Page.Locator("#s-args")).ToHaveValueAsync(new System.Text.RegularExpressions.Regex("\"n\": 20"));
        await p.Page.EvaluateAsync("() => { window.__sameDocument = true; }");
        await p.Page.Locator("#s-submit").ClickAsync();
        await Expect(p.Page.Locator("#watch-result")).ToHaveTextAsync("6765");
        await Expect(p.Page.Locator("#watch-state")).ToHaveTextAsync("succeeded");
        await Expect(p.Page.Locator("#watch-steps li").First).ToContainTextAsync("pending");
        Assert.True(await p.Page.EvaluateAsync<bool>("() => window.__sameDocument === true"), "the page reloaded");
        p.AssertNoProblems();
    }

    [Fact]
    public async Task The_json_editor_refuses_invalid_json()
    {
        await using var p = await server.NewPage();
        await p.SignIn(then: "#/submit");
        await p.Page.Locator("#s-args").FillAsync("{\"n\": ");
        await Expect(p.Page.Locator("#s-args-status")).ToContainTextAsync("Not valid JSON");
        await Expect(p.Page.Locator("#s-submit")).ToBeDisabledAsync();
        await p.Page.Locator("#s-args").FillAsync("{\"n\": 10}");
        await Expect(p.Page.Locator("#s-submit")).ToBeEnabledAsync();
        p.AssertNoProblems();
    }

    [Fact]
    public async Task Overview_counters_and_live_chart_move_while_200_tasks_run()
    {
        await using var p = await server.NewPage();
        await p.SignIn();
        var total = p.Page.Locator("[data-total=succeeded] .total-number");
        await Expect(total).ToBeVisibleAsync();
        var before = long.Parse((await total.TextContentAsync())!.Replace(",", "", StringComparison.Ordinal));
        await Expect(p.Page.Locator("#live-status")).ToHaveTextAsync("● live");
        var chartBefore = await p.Page.Locator("#live-chart canvas").ScreenshotAsync();

        var batch = Enumerable.Range(0, 200).Select(i => new { type = "sleep", args = new { ms = 100 }, queue = "load1" }).ToArray();
        using (var res = await server.Admin.PostAsJsonAsync("api/v1/tasks/batch", new { tasks = batch }))
            Assert.True(res.IsSuccessStatusCode);

        await Expect(p.Page.Locator("#live-sums")).ToContainTextAsync(new System.Text.RegularExpressions.Regex(@"[1-9]\d* succeeded"));
        await Expect(total).Not.ToHaveTextAsync(before.ToString("N0", System.Globalization.CultureInfo.InvariantCulture));
        var deadline = DateTime.UtcNow.AddSeconds(30);
        long now;
        do
        {
            await p.Page.WaitForTimeoutAsync(250);
            now = long.Parse((await total.TextContentAsync())!.Replace(",", "", StringComparison.Ordinal));
        } while (now < before + 200 && DateTime.UtcNow < deadline);
        Assert.True(now >= before + 200, $"succeeded went from {before} to {now}");
        var chartAfter = await p.Page.Locator("#live-chart canvas").ScreenshotAsync();
        Assert.False(chartBefore.AsSpan().SequenceEqual(chartAfter), "the live chart did not change");
        p.AssertNoProblems();
    }

    [Fact]
    public async Task Search_a_task_by_its_idempotency_key()
    {
        for (var i = 0; i < 20; i++) await server.Submit(new { type = "noop", queue = "search1", idempotency_key = $"other-{Guid.NewGuid():N}" });
        var wanted = await server.Submit(new { type = "noop", queue = "search1", idempotency_key = "order-7781" });
        for (var i = 0; i < 20; i++) await server.Submit(new { type = "noop", queue = "search1" });

        await using var p = await server.NewPage();
        await p.SignIn(then: "#/tasks");
        await p.Page.Locator("#f-idempotency_key").FillAsync("order-7781");
        await p.Page.Locator("#f-idempotency_key").PressAsync("Enter");
        await Expect(p.Page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("idempotency_key=order-7781"));
        var rows = p.Page.Locator("#task-list tbody tr");
        await Expect(rows).ToHaveCountAsync(1);
        await Expect(rows.First.Locator("input[type=checkbox]")).ToHaveAttributeAsync("data-id", (string)wanted["id"]!);
        // The filter is in the URL: a reload (a bookmark) shows the same answer.
        await p.Page.ReloadAsync();
        await Expect(p.Page.Locator("#task-list tbody tr")).ToHaveCountAsync(1);
        await Expect(p.Page.Locator("#f-idempotency_key")).ToHaveValueAsync("order-7781");
        p.AssertNoProblems();
    }

    [Fact]
    public async Task Open_a_dead_fail_task_retry_it_from_the_dead_letter_page_and_see_it_move()
    {
        var id = (string)(await server.Submit(new { type = "fail", queue = "dead1", max_attempts = 1 }))["id"]!;
        await server.WaitState(id, "failed");
        await server.Post("api/v1/queues/dead1/pause"); // so the retried task waits where the page can see it

        await using var p = await server.NewPage();
        await p.SignIn(then: $"#/tasks/{id}");
        await Expect(p.Page.Locator("#task-state")).ToHaveTextAsync("dead");
        await Expect(p.Page.Locator("#task-error")).ToContainTextAsync("always fails");

        await p.Goto("#/dead?queue=dead1");
        var retry = p.Page.Locator($"[data-retry='{id}']");
        await Expect(retry).ToBeVisibleAsync();
        await retry.ClickAsync();
        await Expect(retry).ToHaveCountAsync(0); // gone from the dead letters
        await Expect(p.Page.Locator(".toast.ok")).ToContainTextAsync("queued again");
        Assert.Equal("pending", (string?)(await server.Task(id))["state"]);

        await p.Goto($"#/tasks/{id}");
        await Expect(p.Page.Locator("#task-state")).ToHaveTextAsync("pending");
        await server.Post("api/v1/queues/dead1/resume");
        await Expect(p.Page.Locator("#task-state")).ToHaveTextAsync("dead"); // it ran again, live, and failed again
        p.AssertNoProblems();
    }

    [Fact]
    public async Task Bulk_retry_every_dead_task_matching_a_filter()
    {
        var ids = new List<string>();
        for (var i = 0; i < 4; i++) ids.Add((string)(await server.Submit(new { type = "fail", queue = "bulk1", max_attempts = 1 }))["id"]!);
        foreach (var id in ids) await server.WaitState(id, "failed");
        await server.Post("api/v1/queues/bulk1/pause");

        await using var p = await server.NewPage();
        await p.SignIn(then: "#/dead?queue=bulk1");
        await Expect(p.Page.Locator("#dead-list tbody tr")).ToHaveCountAsync(4);
        await p.Page.Locator("#retry-all").ClickAsync();
        var dialog = p.Page.Locator("dialog[open]");
        await Expect(dialog).ToContainTextAsync("Retry 4 "); // the count comes before anything changes
        Assert.Equal(4L, (long)(await server.Queue("bulk1"))!["failed"]!);
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Retry 4" }).ClickAsync();
        await Expect(p.Page.Locator("#dead-list tbody tr")).ToHaveCountAsync(0);
        var q = (await server.Queue("bulk1"))!;
        Assert.Equal(0L, (long)q["failed"]!);
        Assert.Equal(4L, (long)q["pending"]!);
        await server.Post("api/v1/queues/bulk1/resume");
        p.AssertNoProblems();
    }

    [Fact]
    public async Task Pause_a_queue_and_see_its_tasks_wait_resume_and_see_them_run()
    {
        await server.WaitState((string)(await server.Submit(new { type = "noop", queue = "pause1" }))["id"]!, "succeeded");
        await using var p = await server.NewPage();
        await p.SignIn(then: "#/queues");
        await p.Page.GetByRole(AriaRole.Button, new() { Name = "Pause queue pause1" }).ClickAsync();
        await Expect(p.Page.GetByRole(AriaRole.Button, new() { Name = "Resume queue pause1" })).ToBeVisibleAsync();

        var ids = new List<string>();
        for (var i = 0; i < 3; i++) ids.Add((string)(await server.Submit(new { type = "noop", queue = "pause1" }))["id"]!);
        var row = p.Page.Locator("#queues tbody tr", new() { Has = p.Page.GetByRole(AriaRole.Link, new() { Name = "pause1", Exact = true }) });
        await Expect(row.Locator("[data-count=pending]")).ToHaveTextAsync("3");
        await p.Page.WaitForTimeoutAsync(1500); // the worker polls often: a second and a half of waiting is plenty
        await Expect(row.Locator("[data-count=pending]")).ToHaveTextAsync("3");
        foreach (var id in ids) Assert.Equal("pending", (string?)(await server.Task(id))["state"]);

        await p.Page.GetByRole(AriaRole.Button, new() { Name = "Resume queue pause1" }).ClickAsync();
        await Expect(row.Locator("[data-count=pending]")).ToHaveTextAsync("0");
        foreach (var id in ids) await server.WaitState(id, "succeeded"); // bounded (30 s): a busy machine, not a time
        p.AssertNoProblems();
    }

    [Fact]
    public async Task Cancel_a_running_sleep_and_see_it_end_cancelled()
    {
        var id = (string)(await server.Submit(new { type = "sleep", args = new { ms = 60_000 }, queue = "cancel1" }))["id"]!;
        await server.WaitState(id, "running");
        await using var p = await server.NewPage();
        await p.SignIn(then: $"#/tasks/{id}");
        await Expect(p.Page.Locator("#task-state")).ToHaveTextAsync("running");
        var clicked = System.Diagnostics.Stopwatch.StartNew();
        await p.Page.Locator("#action-cancel").ClickAsync();
        // The page reloads the task once the cancel answers (the store says cancelled at once; the
        // handler lets go on the worker's next heartbeat). Within the default bound, not a time of its
        // own: a busy machine can take longer than two seconds to click, answer and render. The time
        // it took is printed (a figure, as the issue's "within two seconds" is).
        await Expect(p.Page.Locator("#task-state")).ToHaveTextAsync("cancelled");
        output.WriteLine($"cancel: clicked to 'cancelled' shown in {clicked.Elapsed.TotalMilliseconds:F0} ms");
        Assert.Equal("cancelled", (string?)(await server.Task(id))["state"]);
        p.AssertNoProblems();
    }

    [Fact]
    public async Task Clone_and_edit_prefills_the_submit_page()
    {
        var id = (string)(await server.Submit(new { type = "fib", args = new { n = 12 }, queue = "default", priority = 3 }))["id"]!;
        await using var p = await server.NewPage();
        await p.SignIn(then: $"#/tasks/{id}");
        await p.Page.Locator("#action-clone").ClickAsync();
        await Expect(p.Page.Locator("#a-n")).ToHaveValueAsync("12");
        await Expect(p.Page.Locator("#s-priority")).ToHaveValueAsync("3");
        await p.Page.Locator("#a-n").FillAsync("10");
        await p.Page.Locator("#s-submit").ClickAsync();
        await Expect(p.Page.Locator("#watch-result")).ToHaveTextAsync("55");
        p.AssertNoProblems();
    }

    [Fact]
    public async Task Quiet_a_remote_worker_and_see_it_stop_taking_tasks()
    {
        // A second, remote worker (over HTTP) on its own queue, so the broker's own worker keeps serving the other tests.
        var dir = Directory.CreateTempSubdirectory("conveyor-dash-worker-").FullName;
        await using var worker = Conveyor.EndToEnd.Tests.ConveyorProcess.Start(dir, new Dictionary<string, string> { ["CONVEYOR_TOKEN"] = DashboardServer.AdminToken },
            "worker", "--broker", server.Url, "--queues", "quiet1");
        var first = (string)(await server.Submit(new { type = "noop", queue = "quiet1" }))["id"]!;
        await server.WaitState(first, "succeeded");

        await using var p = await server.NewPage();
        await p.SignIn(then: "#/workers");
        var row = p.Page.Locator("#workers-live tbody tr", new() { HasText = "quiet1" });
        await row.GetByRole(AriaRole.Button, new() { Name = "Quiet worker", Exact = false }).ClickAsync();
        await Expect(p.Page.Locator(".toast.ok")).ToContainTextAsync("quiet sent");
        await Expect(row.Locator(".badge.worker-quiet")).ToBeVisibleAsync();
        var next = (string)(await server.Submit(new { type = "noop", queue = "quiet1" }))["id"]!;
        await p.Page.WaitForTimeoutAsync(2000);
        Assert.Equal("pending", (string?)(await server.Task(next))["state"]); // a quiet worker leases nothing more
        worker.Terminate();
        await worker.WaitForExit(TimeSpan.FromSeconds(20));
        try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
        p.AssertNoProblems();
    }

    [Fact]
    public async Task Bulk_cancel_every_task_matching_a_filter_is_counted_first_and_recorded()
    {
        await server.Post("api/v1/queues/bulk1/pause");
        for (var i = 0; i < 3; i++) await server.Submit(new { type = "noop", queue = "bulk1", metadata = new Dictionary<string, string> { ["batch"] = "b7" } });
        await using var p = await server.NewPage();
        await p.SignIn(then: "#/tasks?queue=bulk1&state=pending&tag=batch%3Db7");
        await p.Page.GetByRole(AriaRole.Button, new() { Name = "Cancel all" }).ClickAsync();
        var dialog = p.Page.Locator("dialog[open]");
        await Expect(dialog).ToContainTextAsync("Cancel 3 tasks?");
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Cancel 3" }).ClickAsync();
        await Expect(p.Page.Locator("#task-list tbody tr")).ToHaveCountAsync(0);
        await p.Goto("#/bulk");
        // Who, when, on what, how many: When · Who · Action · On · Matched · Changed.
        var cells = p.Page.Locator("#bulk-log tbody tr").First.Locator("td");
        await Expect(cells.Nth(0).Locator("time[datetime]")).ToHaveTextAsync(new System.Text.RegularExpressions.Regex(@"\d+s ago"));
        await Expect(cells.Nth(1)).ToHaveTextAsync(new System.Text.RegularExpressions.Regex(@"^sha256:[0-9a-f]{8}$")); // the admin token has no name: its label
        await Expect(cells.Nth(2)).ToHaveTextAsync("cancel");
        await Expect(cells.Nth(3)).ToContainTextAsync("queue = bulk1");
        await Expect(cells.Nth(3)).ToContainTextAsync("tag = batch=b7");
        await Expect(cells.Nth(4)).ToHaveTextAsync("3");
        await Expect(cells.Nth(5)).ToHaveTextAsync("3");
        await server.Post("api/v1/queues/bulk1/resume");
        p.AssertNoProblems();
    }
}
