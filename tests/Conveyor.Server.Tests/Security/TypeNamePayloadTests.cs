using System.Text.Json;
using Conveyor.Client;
using Conveyor.Model;
using Conveyor.Server.Auth;
using Conveyor.Server.Tests.Support;
using Conveyor.Store;

namespace Conveyor.Server.Tests.Security;

/// <summary>
/// Payloads that name .NET types (<c>$type</c>, <c>$id</c>/<c>$ref</c>, assembly-qualified names,
/// <c>System.Diagnostics.Process</c>) are data, never instructions: args, metadata, results and errors
/// sent through HTTP and through the .NET client come back byte for byte, and nothing is instantiated.
/// </summary>
public sealed class TypeNamePayloadTests : IAsyncLifetime
{
    private const string Admin = "tn-admin";
    /// <summary>The shape of the classic Json.NET / BinaryFormatter gadget payloads, compact so its text round-trips exactly.</summary>
    internal const string Gadget =
        """{"$type":"System.Diagnostics.Process, System, Version=4.0.0.0, Culture=neutral, PublicKeyToken=b77a5c561934e089","$id":"1","StartInfo":{"$type":"System.Diagnostics.ProcessStartInfo, System","FileName":"/bin/sh","Arguments":"-c touch /tmp/pwned"},"$values":[{"$ref":"1"}],"__type":"System.IO.FileInfo, mscorlib"}""";
    private static readonly Dictionary<string, string> Metadata = new()
    {
        ["$type"] = "System.Diagnostics.Process, System.Diagnostics.Process",
        ["assembly"] = "System.Windows.Data.ObjectDataProvider, PresentationFramework, Version=4.0.0.0",
    };
    private Broker broker = null!;

    public async Task InitializeAsync() => broker = await Broker.Start(o => o.Tokens.Add(ApiToken.FromSecret(Admin, [Scopes.Admin])));

    public async Task DisposeAsync() => await broker.DisposeAsync();

    [Fact]
    public async Task Over_HTTP_args_metadata_results_and_errors_come_back_byte_equal()
    {
        using var http = broker.Client(Admin);
        var metadata = JsonSerializer.Serialize(Metadata);
        var first = await broker.PostOk("/api/v1/tasks", $$"""{"type":"gadget","queue":"tn-http","args":{{Gadget}},"metadata":{{metadata}},"max_attempts":1}""", http);
        var second = await broker.PostOk("/api/v1/tasks", $$"""{"type":"gadget","queue":"tn-http","args":{{Gadget}},"max_attempts":1}""", http);
        var ok = first.GetProperty("id").GetString()!;
        var bad = second.GetProperty("id").GetString()!;

        var (id1, token1, leased1) = await broker.LeaseOne("tn-http", http);
        var (id2, token2, _) = await broker.LeaseOne("tn-http", http);
        Assert.Equal(Gadget, leased1.GetProperty("args").GetRawText());
        var (done, doneToken, failed, failedToken) = id1 == ok ? (id1, token1, id2, token2) : (id2, token2, id1, token1);
        Assert.Equal(bad, failed);
        await broker.PostOk($"/api/v1/tasks/{done}/complete", $$"""{"lease_token":"{{doneToken}}","result":{{Gadget}}}""", http);
        var errorType = "System.Diagnostics.Process, System, Version=4.0.0.0";
        await broker.PostOk($"/api/v1/tasks/{failed}/fail",
            $$"""{"lease_token":"{{failedToken}}","error":{"type":"{{errorType}}","message":{{JsonSerializer.Serialize(Gadget)}}},"retry":false}""", http);

        var succeeded = await broker.GetOk($"/api/v1/tasks/{done}", http);
        Assert.Equal("succeeded", succeeded.GetProperty("state").GetString());
        Assert.Equal(Gadget, succeeded.GetProperty("args").GetRawText());
        Assert.Equal(Gadget, succeeded.GetProperty("result").GetRawText());
        Assert.Equal(Metadata["$type"], succeeded.GetProperty("metadata").GetProperty("$type").GetString());
        Assert.Equal(Metadata["assembly"], succeeded.GetProperty("metadata").GetProperty("assembly").GetString());

        var dead = await broker.GetOk($"/api/v1/tasks/{failed}", http);
        Assert.Equal(errorType, dead.GetProperty("error").GetProperty("type").GetString());
        Assert.Equal(Gadget, dead.GetProperty("error").GetProperty("message").GetString());
        // The dead-letter views and groups carry the names as text too.
        var groups = await broker.GetOk("/api/v1/dead-letters/groups?queue=tn-http", http);
        Assert.Equal(errorType, Assert.Single(groups.GetProperty("groups").EnumerateArray()).GetProperty("error_type").GetString());
        Assert.False(File.Exists("/tmp/pwned"));
    }

    [Fact]
    public async Task Through_the_dotnet_client_they_stay_JsonElements_and_strings()
    {
        var client = new ConveyorClient(broker.Client(null), Admin);
        var transport = new HttpWorkerGateway(broker.Client(null), Admin);
        var args = JsonDocument.Parse(Gadget).RootElement;
        var submitted = await client.Submit(new TaskSubmission { Type = "gadget", Queue = "tn-client", Args = args, Metadata = Metadata, MaxAttempts = 1 });
        var again = await client.Submit(new TaskSubmission { Type = "gadget", Queue = "tn-client", Args = args, MaxAttempts = 1 });

        var leased = await transport.Lease(new TaskLeaseParams("tn-worker", ["tn-client"], 2, TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(5)));
        Assert.Equal(2, leased.Count);
        Assert.All(leased, l => Assert.Equal(Gadget, l.Task.Args.GetRawText()));
        var done = leased.Single(l => l.Task.Id == submitted.Task.Id);
        var failed = leased.Single(l => l.Task.Id == again.Task.Id);
        await transport.CompleteMany([new TaskCompleteParams(done.Task.Id, done.LeaseToken, args)]);
        await transport.FailMany([new TaskFailParams(failed.Task.Id, failed.LeaseToken, new TaskError(Metadata["$type"], Gadget, Gadget), Retry: false)]);

        var read = Assert.IsType<TaskRecord>(await client.Get(done.Task.Id));
        Assert.Equal(JsonValueKind.Object, read.Result?.ValueKind);
        Assert.Equal(Gadget, read.Args.GetRawText());
        Assert.Equal(Gadget, read.Result?.GetRawText());
        Assert.Equal(Metadata, read.Metadata);
        var dead = Assert.IsType<TaskRecord>(await client.Get(failed.Task.Id));
        Assert.Equal(new TaskError(Metadata["$type"], Gadget, Gadget), dead.Error);
    }

    [Fact]
    public void No_source_file_deserialises_polymorphically()
    {
        string[] forbidden = ["JsonDerivedType", "JsonPolymorphic", "TypeNameHandling", "BinaryFormatter", "NetDataContractSerializer",
            "SoapFormatter", "LosFormatter", "ObjectStateFormatter", "Type.GetType(", "Activator.CreateInstance(", "TypeDiscriminator", "ReferenceHandler.Preserve"];
        var src = Path.Combine(AuthorizationMatrixTests.RepoRoot(), "src");
        var hits = Directory.EnumerateFiles(src, "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .SelectMany(f => File.ReadLines(f).Select((line, i) => (f, i, line)))
            .Where(x => forbidden.Any(w => x.line.Contains(w, StringComparison.Ordinal)))
            .Select(x => $"{Path.GetRelativePath(src, x.f)}:{x.i + 1}: {x.line.Trim()}")
            .ToList();
        Assert.True(hits.Count == 0, "polymorphic or type-naming deserialisation in src/:\n" + string.Join('\n', hits));
    }
}
