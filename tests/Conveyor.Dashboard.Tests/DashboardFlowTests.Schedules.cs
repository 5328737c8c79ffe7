using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Conveyor.Dashboard.Tests;

/// <summary>The Schedules page (issue 14 item 1): create from the form, see the next run, pause, resume, run now, delete.</summary>
public sealed partial class DashboardFlowTests
{
    [Fact]
    public async Task Create_pause_resume_run_now_and_delete_a_schedule_from_the_schedules_page()
    {
        await using var p = await server.NewPage();
        await p.SignIn(then: "#/schedules");
        await Expect(p.Page.Locator("h1")).ToHaveTextAsync("Schedules");
        // sched1 has no consumer, so the task "run now" submits stays pending.
        await p.Page.Locator("#sch-name").FillAsync("dash-nightly");
        await p.Page.Locator("#sch-cron").FillAsync("0 3 * * *");
        await p.Page.Locator("#sch-zone").FillAsync("Europe/Paris");
        await p.Page.Locator("#sch-queue").FillAsync("sched1");
        await p.Page.Locator("#sch-args").FillAsync("{\"report\": \"<b>daily</b>\"}");
        await p.Page.Locator("#sch-save").ClickAsync();
        await Expect(p.Page.Locator("#sch-form-status")).ToContainTextAsync("Saved dash-nightly");
        var row = p.Page.Locator("#schedules tbody tr", new() { HasText = "dash-nightly" });
        await Expect(row).ToContainTextAsync("cron 0 3 * * * (Europe/Paris)");
        await Expect(row).ToContainTextAsync("noop on sched1");
        await Expect(row.Locator("time").First).ToBeVisibleAsync(); // the next run
        var stored = await server.Get("api/v1/schedules/dash-nightly");
        Assert.Equal("Europe/Paris", (string?)stored["time_zone"]);
        Assert.NotNull(stored["next_run_at"]);

        await row.GetByRole(AriaRole.Button, new() { Name = "Pause schedule dash-nightly" }).ClickAsync();
        await Expect(row.Locator(".badge")).ToHaveTextAsync("paused");
        Assert.True((bool)(await server.Get("api/v1/schedules/dash-nightly"))["paused"]!);
        await row.GetByRole(AriaRole.Button, new() { Name = "Resume schedule dash-nightly" }).ClickAsync();
        await Expect(row.Locator(".badge")).ToHaveTextAsync("active");

        await row.GetByRole(AriaRole.Button, new() { Name = "Run now: schedule dash-nightly" }).ClickAsync();
        await Expect(p.Page.Locator(".toast.ok", new() { HasText = "task submitted" })).ToBeVisibleAsync();
        await Expect(row.Locator("a.mono")).ToBeVisibleAsync(); // the last run's task
        var last = (string)(await server.Get("api/v1/schedules/dash-nightly"))["last_task_id"]!;
        var task = await server.Task(last);
        Assert.Equal("sched1", (string?)task["queue"]);
        Assert.Equal("dash-nightly", (string?)task["metadata"]!["schedule"]);
        await p.AssertAccessible("schedules");
        await p.Screenshot("schedules");

        await row.GetByRole(AriaRole.Button, new() { Name = "Delete schedule dash-nightly" }).ClickAsync();
        await p.Page.Locator("dialog[open]").GetByRole(AriaRole.Button, new() { Name = "Delete" }).ClickAsync();
        await Expect(row).ToHaveCountAsync(0);
        using var gone = await server.Admin.GetAsync("api/v1/schedules/dash-nightly");
        Assert.Equal(System.Net.HttpStatusCode.NotFound, gone.StatusCode);
        p.AssertNoProblems();
    }
}
