using System.Net;
using System.Text.Json;

namespace Conveyor.Server.Tests.Support;

internal static class Problems
{
    /// <summary>Asserts an RFC 9457 answer: status, stable type, content type, and (for validation) the field named.</summary>
    public static async Task<JsonElement> Assert(HttpResponseMessage response, HttpStatusCode status, string type, string? field = null)
    {
        var body = await Broker.Body(response);
        Xunit.Assert.True(status == response.StatusCode, $"expected {(int)status}, got {(int)response.StatusCode}: {body}");
        Xunit.Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Xunit.Assert.Equal(type, body.GetProperty("type").GetString());
        Xunit.Assert.Equal((int)status, body.GetProperty("status").GetInt32());
        Xunit.Assert.False(string.IsNullOrEmpty(body.GetProperty("title").GetString()));
        if (field is not null)
        {
            var fields = body.GetProperty("errors").EnumerateArray().Select(e => e.GetProperty("field").GetString()).ToList();
            Xunit.Assert.Contains(field, fields);
        }
        return body;
    }
}
