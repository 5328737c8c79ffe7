using System.Net.Http.Json;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Conveyor.Dashboard.Tests;

/// <summary>The queues page's limits (issue 14 item 3): set one from the form, see its usage, remove it.</summary>
public sealed partial class DashboardFlowTests
{
    [Fact]
    public async Task The_queues_page_sets_a_limit_shows_its_usage_and_removes_it()
    {
        // limit1 has no consumer: only the test leases from it, so the usage is exactly what it did.
        for (var i = 0; i < 3; i++) await server.Submit(new { type = "noop", queue = "limit1", metadata = new { tenant = "acme" } });
        await using var p = await server.NewPage();
        await p.SignIn(then: "#/queues");
        await p.Page.Locator("#l-queue").FillAsync("limit1");
        await p.Page.Locator("#l-name").FillAsync("per-tenant");
        await p.Page.Locator("#l-key").FillAsync("metadata.tenant");
        await p.Page.Locator("#l-concurrency").FillAsync("1");
        await p.Page.GetByRole(AriaRole.Button, new() { Name = "Set limit" }).ClickAsync();
        await Expect(p.Page.Locator(".toast.ok")).ToContainTextAsync("Limit per-tenant of queue limit1 set.");
        var row = p.Page.Locator("#limits tbody tr", new() { HasText = "per-tenant" });
        await Expect(row).ToContainTextAsync("metadata.tenant");
        await Expect(row).ToContainTextAsync("1 running");

        // A worker leases: one task runs, the other two wait for the tenant's slot.
        using var lease = await server.Admin.PostAsJsonAsync("api/v1/leases", new { worker_id = "dash-test", queues = new[] { "limit1" }, max = 10, wait = 0 });
        lease.EnsureSuccessStatusCode();
        Assert.Equal(1, (await lease.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>()).GetProperty("tasks").GetArrayLength());
        await p.Page.ReloadAsync();
        row = p.Page.Locator("#limits tbody tr", new() { HasText = "acme" });
        await Expect(row.Locator("[data-usage=running]")).ToHaveTextAsync("1");
        await Expect(row.Locator("[data-usage=waiting]")).ToHaveTextAsync("2");
        await p.AssertAccessible("queues-limits");
        await p.Screenshot("queues-limits");

        await row.GetByRole(AriaRole.Button, new() { Name = "Remove limit per-tenant of queue limit1" }).ClickAsync();
        await Expect(p.Page.Locator(".toast.ok")).ToContainTextAsync("removed");
        await Expect(p.Page.Locator("#limits tbody tr", new() { HasText = "per-tenant" })).ToHaveCountAsync(0);
        p.AssertNoProblems();
    }
}
