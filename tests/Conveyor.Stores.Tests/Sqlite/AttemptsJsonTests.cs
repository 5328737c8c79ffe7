using System.Text.Json;
using Conveyor.Json;
using Conveyor.Model;
using Conveyor.Sqlite.Internal;

namespace Conveyor.Stores.Tests.Sqlite;

/// <summary>The fast reader of the attempts column gives exactly what the general deserializer gives.</summary>
public sealed class AttemptsJsonTests
{
    [Theory]
    [InlineData("[]")]
    [InlineData("""[{"number":1,"worker_id":"w-1","started_at":"2030-01-02T03:04:05.0000000+00:00","outcome":"running"}]""")]
    [InlineData("""[{"number":1,"worker_id":null,"started_at":"2030-01-02T03:04:05.1234567+00:00","finished_at":"2030-01-02T03:04:06.0000000+00:00","outcome":"succeeded"}]""")]
    [InlineData("""[{"number":1,"worker_id":"w","started_at":"2030-01-02T03:04:05+00:00","finished_at":null,"outcome":"lease_expired","error":{"type":"lease_expired","message":"m"}},{"number":1,"worker_id":"w\u00e9\"x","started_at":"2030-01-02T03:04:07+00:00","outcome":"released"}]""")]
    [InlineData("""[{"number":2,"worker_id":"w","started_at":"2030-01-02T03:04:05+00:00","outcome":"cancelled","error":null},{"number":3,"worker_id":"w","started_at":"2030-01-02T03:04:05+00:00","outcome":"failed","error":{"type":"x","message":"y","detail":"z"}}]""")]
    public void Fast_reader_matches_the_serializer(string json)
    {
        var expected = JsonSerializer.Deserialize<List<AttemptRecord>>(json, ConveyorJson.Options)!;
        Assert.Equal(expected, AttemptsJson.Read(json));
    }
}
