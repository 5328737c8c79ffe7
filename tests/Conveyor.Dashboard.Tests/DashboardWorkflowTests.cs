using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Conveyor.Dashboard.Tests;

/// <summary>
/// The Workflows page (pages/workflows.js) against a real <c>conveyor up</c>: the graph of a chain
/// whose middle step is a chord, each box in its step's state, updated live as a step is completed
/// through the API (no reload), user data as text, axe-core, the cancel action. Its steps run in a
/// queue no worker of the server takes ("wfhold"), so the test decides when each step ends.
/// </summary>
public sealed class DashboardWorkflowTests(DashboardServer server) : IClassFixture<DashboardServer>
{
    [Fact]
    public async Task The_workflow_graph_shows_each_steps_state_live_and_cancels()
    {
        const string name = "<img src=x onerror=alert(1)> nightly";
        var body = new JsonObject
        {
            ["name"] = name,
            ["workflow"] = JsonNode.Parse("""
                {"chain": [{"type": "sum", "queue": "wfhold", "args": [1, 2]},
                           {"group": [{"type": "sum", "queue": "wfhold", "args": [10]}, {"type": "sum", "queue": "wfhold", "args": [20]}],
                            "callback": {"type": "sum", "queue": "wfhold"}}]}
                """),
        };
        string id;
        using (var res = await server.Admin.PostAsJsonAsync("api/v1/workflows", body))
        {
            var text = await res.Content.ReadAsStringAsync();
            Assert.True(res.IsSuccessStatusCode, text);
            id = (string)JsonNode.Parse(text)!["workflow"]!["id"]!;
        }

        await using var p = await server.NewPage();
        await p.SignIn(then: "#/workflows");
        await Expect(p.Page.Locator("h1")).ToHaveTextAsync("Workflows");
        await p.Page.Locator("#workflow-id").FillAsync(id);
        await p.Page.Locator("form.inline-form button[type=submit]").ClickAsync();

        var nodes = p.Page.Locator("#workflow-graph .wf-node");
        await Expect(nodes).ToHaveCountAsync(4);
        await Expect(p.Page.Locator(".wf-node[data-step='0']")).ToHaveClassAsync(new System.Text.RegularExpressions.Regex("state-pending"));
        await Expect(p.Page.Locator(".wf-node[data-step='3']")).ToHaveClassAsync(new System.Text.RegularExpressions.Regex("state-waiting"));
        await Expect(p.Page.Locator("#workflow-graph .wf-edge")).ToHaveCountAsync(4); // 0→1, 0→2, 1→3, 2→3
        await Expect(p.Page.Locator("#workflow-detail")).ToContainTextAsync(name); // the name, as text
        Assert.Equal(0, await p.Page.Locator("#workflow-detail img").CountAsync());
        await Expect(p.Page.Locator("#workflow-progress")).ToContainTextAsync("0 of 4 steps finished");
        await p.AssertAccessible("workflow");
        await p.Screenshot("workflow");

        // A worker (the test, through the API) completes the first step: the page follows by itself.
        using (var lease = await server.Admin.PostAsJsonAsync("api/v1/leases", new { worker_id = "dash-test", queues = new[] { "wfhold" }, max = 1, wait = 5 }))
        {
            var leased = JsonNode.Parse(await lease.Content.ReadAsStringAsync())!["tasks"]![0]!;
            using var done = await server.Admin.PostAsJsonAsync($"api/v1/tasks/{(string)leased["task"]!["id"]!}/complete", new { lease_token = (string)leased["lease_token"]!, result = 3 });
            Assert.True(done.IsSuccessStatusCode);
        }
        await Expect(p.Page.Locator(".wf-node[data-step='0']")).ToHaveClassAsync(new System.Text.RegularExpressions.Regex("state-succeeded"));
        await Expect(p.Page.Locator(".wf-node[data-step='1']")).ToHaveClassAsync(new System.Text.RegularExpressions.Regex("state-pending"));
        await Expect(p.Page.Locator("#workflow-progress")).ToContainTextAsync("1 of 4 steps finished");

        await p.Page.Locator("#workflow-cancel").ClickAsync();
        await Expect(p.Page.Locator("#workflow-state")).ToHaveTextAsync("cancelled");
        await Expect(p.Page.Locator(".wf-node[data-step='3']")).ToHaveClassAsync(new System.Text.RegularExpressions.Regex("state-cancelled"));
        Assert.Equal("cancelled", (string?)(await server.Get($"api/v1/workflows/{id}"))["workflow"]!["state"]);

        await p.Goto("#/workflows/0190b3a4-0000-7000-8000-000000000000");
        await Expect(p.Page.Locator("#workflow-detail")).ToContainTextAsync("There is no workflow");
        p.AssertNoProblems();
    }
}
