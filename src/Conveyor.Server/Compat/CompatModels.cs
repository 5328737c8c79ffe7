using System.Text.Json;

namespace Conveyor.Server.Compat;

// Request and response bodies of the seeds' own APIs, field for field (serialised snake_case).

internal sealed record SendEmailRequest(string? RecipientEmail, string? Subject, string? Body);
internal sealed record QueuedResponse(string Status, string Message, string TaskId);

internal sealed record NumberTaskRequest(JsonElement? Number);
internal sealed record TaskIdResponse(string TaskId);
internal sealed record ManagerStatusResponse(string Status, JsonElement? Result = null, string? Error = null);

internal sealed record Seed003SubmitRequest(string? Type, JsonElement? Payload, string? Queue = null, int? MaxAttempts = null);
internal sealed record Seed003Task(string TaskId, string Type, JsonElement Payload, string? LeaseToken = null);
internal sealed record Seed003AckRequest(string? TaskId, string? Status, JsonElement? Result = null, JsonElement? Error = null, string? LeaseToken = null);
internal sealed record Seed003Status(string TaskId, string Type, string Status, int Attempts, JsonElement Payload, JsonElement? Result = null, string? Error = null);
internal sealed record StatusMessage(string Status, string? TaskId = null);

internal sealed record CelerySubmitRequest(JsonElement? Data);
internal sealed record CelerySubmitResponse(string TaskId, string Status);
internal sealed record CeleryStatusResponse(string TaskId, string Status, JsonElement? Result = null);
