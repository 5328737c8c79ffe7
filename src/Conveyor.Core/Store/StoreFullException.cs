namespace Conveyor.Store;

/// <summary>
/// The store refused a write for want of room: a full disk under SQLite, Redis at <c>maxmemory</c>
/// with <c>noeviction</c>. Nothing of the refused operation was written (a SQLite transaction rolls
/// back; a Redis script is refused at its first write, before it changed anything), so the caller may
/// retry once room is made. The server answers 507 with problem type <c>insufficient-storage</c>.
/// </summary>
public sealed class StoreFullException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// The store refuses to open on a setting that would lose acknowledged tasks (a Redis
/// <c>maxmemory-policy</c> that evicts keys). The message names the setting and the value to set.
/// </summary>
public sealed class StoreConfigurationException(string message) : Exception(message);
