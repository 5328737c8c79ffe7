using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Conveyor.Dashboard.Tests;

/// <summary>The actions of the task detail, workers and queues pages (issue 10 items 2, 5, 6).</summary>
public sealed partial class DashboardFlowTests
{
    [Fact]
    public async Task Retry_now_then_cancel_then_delete_from_the_task_detail_page()
    {
        // orphan1 has no consumer, so the task stays where each action puts it.
        var id = (string)(await server.Submit(new { type = "noop", queue = "orphan1", delay = 3600 }))["id"]!;
        await using var p = await server.NewPage();
        await p.SignIn(then: $"#/tasks/{id}");
        await Expect(p.Page.Locator("#task-state")).ToHaveTextAsync("scheduled");
        await p.Page.Locator("#action-retry").ClickAsync();
        await Expect(p.Page.Locator("#task-state")).ToHaveTextAsync("pending");
        Assert.Equal("pending", (string?)(await server.Task(id))["state"]);
        await Expect(p.Page.Locator("#action-retry")).ToHaveCountAsync(0); // retry now does not apply to a pending task

        await p.Page.Locator("#action-cancel").ClickAsync();
        await Expect(p.Page.Locator("#task-state")).ToHaveTextAsync("cancelled");
        await p.Page.Locator("#action-delete").ClickAsync();
        var dialog = p.Page.Locator("dialog[open]");
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Delete" }).ClickAsync();
        await Expect(p.Page.Locator("h1")).ToHaveTextAsync("Tasks");
        using var gone = await server.Admin.GetAsync($"api/v1/tasks/{id}");
        Assert.Equal(System.Net.HttpStatusCode.NotFound, gone.StatusCode);
        p.AssertNoProblems();
    }

    [Fact]
    public async Task The_queues_page_shows_the_oldest_waiting_age_and_warns_of_a_queue_no_worker_consumes()
    {
        await server.Submit(new { type = "noop", queue = "orphan1" });
        await server.WaitState((string)(await server.Submit(new { type = "noop", queue = "default" }))["id"]!, "succeeded");
        await using var p = await server.NewPage();
        await p.SignIn(then: "#/queues");
        var orphan = p.Page.Locator("#queues tbody tr", new() { Has = p.Page.GetByRole(AriaRole.Link, new() { Name = "orphan1", Exact = true }) });
        await Expect(orphan.Locator("[data-count=workers]")).ToContainTextAsync("no live worker consumes this queue");
        await Expect(orphan.Locator("[data-count=oldest] time")).ToHaveTextAsync(new System.Text.RegularExpressions.Regex(@"^\d+[smhd]"));
        var served = p.Page.Locator("#queues tbody tr", new() { Has = p.Page.GetByRole(AriaRole.Link, new() { Name = "default", Exact = true }) });
        await Expect(served.Locator("[data-count=workers]")).ToHaveTextAsync("1");
        p.AssertNoProblems();
    }

    [Fact]
    public async Task Stop_a_remote_worker_from_the_workers_page_and_see_its_process_exit()
    {
        var dir = Directory.CreateTempSubdirectory("conveyor-dash-worker-").FullName;
        await using var worker = Conveyor.EndToEnd.Tests.ConveyorProcess.Start(dir, new Dictionary<string, string> { ["CONVEYOR_TOKEN"] = DashboardServer.AdminToken },
            "worker", "--broker", server.Url, "--queues", "stop1");
        await server.WaitState((string)(await server.Submit(new { type = "noop", queue = "stop1" }))["id"]!, "succeeded");

        await using var p = await server.NewPage();
        await p.SignIn(then: "#/workers");
        var row = p.Page.Locator("#workers-live tbody tr", new() { HasText = "stop1" });
        await row.GetByRole(AriaRole.Button, new() { Name = "Stop worker", Exact = false }).ClickAsync();
        await p.Page.Locator("dialog[open]").GetByRole(AriaRole.Button, new() { Name = "Stop" }).ClickAsync();
        await Expect(p.Page.Locator(".toast.ok")).ToContainTextAsync("stop sent");
        Assert.Equal(0, await worker.WaitForExit(TimeSpan.FromSeconds(20))); // drained and exited by itself
        try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
        p.AssertNoProblems();
    }
}
