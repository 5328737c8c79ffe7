namespace Conveyor.Client.Protocol;

/// <summary>
/// The stable <c>type</c> URIs of Conveyor's RFC 9457 problem details. Clients branch on these, never
/// on titles or messages; a URI, once published, never changes meaning.
/// </summary>
public static class ProblemTypes
{
    public const string Base = "https://conveyor.dev/problems/";

    /// <summary>400: a field is missing, of the wrong type, out of range or out of pattern; see <c>errors</c>.</summary>
    public const string Validation = Base + "validation";
    /// <summary>400: the body is not well-formed JSON (or is empty where a body is required).</summary>
    public const string MalformedJson = Base + "malformed-json";
    /// <summary>413: the request body, or a value inside it (args, result), is over its size limit.</summary>
    public const string PayloadTooLarge = Base + "payload-too-large";
    /// <summary>415: the body is not sent as application/json.</summary>
    public const string UnsupportedMediaType = Base + "unsupported-media-type";
    /// <summary>404: no such task, dead letter or route.</summary>
    public const string NotFound = Base + "not-found";
    /// <summary>405: the route exists, not with this method.</summary>
    public const string MethodNotAllowed = Base + "method-not-allowed";
    /// <summary>409: the lease token is not the task's current one; nothing changed.</summary>
    public const string StaleLease = Base + "stale-lease";
    /// <summary>401: no token, or an unknown one.</summary>
    public const string Unauthorized = Base + "unauthorized";
    /// <summary>403: a valid token without the scope this route needs.</summary>
    public const string Forbidden = Base + "forbidden";
    /// <summary>503: the store is not reachable.</summary>
    public const string Unavailable = Base + "unavailable";
    /// <summary>
    /// 507: the store refuses writes for want of room (a full disk under SQLite; Redis at <c>maxmemory</c>
    /// with <c>noeviction</c>). Nothing of the request was stored; retry once room is made.
    /// </summary>
    public const string InsufficientStorage = Base + "insufficient-storage";
    /// <summary>500: a bug; the detail is in the server log under the trace id.</summary>
    public const string Internal = Base + "internal";

    /// <summary>403: a request signed in by the dashboard cookie that is not GET/HEAD came without a valid <c>X-CSRF-Token</c>.</summary>
    public const string Antiforgery = Base + "antiforgery";
    /// <summary>403: on an open (tokenless) loopback server, a browser request from another origin, or for a host name that is not loopback.</summary>
    public const string CrossOrigin = Base + "cross-origin";
    /// <summary>409: the task is not in a state the action applies to (retry of a pending, running or succeeded task; delete of a running one); nothing changed.</summary>
    public const string TaskStateConflict = Base + "task-state-conflict";
    /// <summary>429: a token or a client address sent more requests than the server's rate limit allows; retry after <c>Retry-After</c> seconds.</summary>
    public const string RateLimited = Base + "rate-limited";
    /// <summary>
    /// 504: the broker sent the request to its store and no answer came back in time (a network partition
    /// between broker and store). The request may or may not have been applied: treat the outcome as unknown.
    /// </summary>
    public const string StoreTimeout = Base + "store-timeout";
}
