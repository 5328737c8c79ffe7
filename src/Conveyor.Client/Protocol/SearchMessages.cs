using System.Text.Json;
using Conveyor.Store;

namespace Conveyor.Client.Protocol;

// Wire shapes of the dashboard's task actions (the bulk request and answer are the engine's
// BulkActionRequest and BulkActionResult; dead-letter groups are the store's DeadLetterGroups).

/// <summary>The optional body of <c>POST /api/v1/dead-letters/{id}/retry</c>: new args for the redriven task.</summary>
public sealed record RedriveRequest(JsonElement? Args);

/// <summary><c>GET /api/v1/bulk-actions</c>: the newest bulk actions first.</summary>
public sealed record BulkActionListResponse(IReadOnlyList<BulkActionRecord> Items);
