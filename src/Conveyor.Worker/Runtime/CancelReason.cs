namespace Conveyor.Worker.Runtime;

/// <summary>Why a running handler's token fired. The first reason wins.</summary>
internal enum CancelReason
{
    None = 0,
    /// <summary>The attempt ran past the task's timeout: a failed attempt (<c>timeout</c>), retried by backoff.</summary>
    Timeout,
    /// <summary>The task was cancelled while running: the store already made it terminal, nothing to ack.</summary>
    CancelRequested,
    /// <summary>The lease moved on (expired and reclaimed): our token is fenced off, nothing to ack.</summary>
    LeaseLost,
    /// <summary>The drain deadline passed: the task is handed back, not charged as an attempt.</summary>
    Shutdown,
}
