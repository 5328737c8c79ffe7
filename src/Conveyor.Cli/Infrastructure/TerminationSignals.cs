using System.Runtime.InteropServices;

namespace Conveyor.Cli.Infrastructure;

/// <summary>
/// SIGINT and SIGTERM as a cancellation token, with no deadline of its own. System.CommandLine's
/// built-in handling (turned off in Program.cs) ends the process 2 s after the signal whatever the
/// command is doing: a worker stopped by <c>docker stop</c> was cut off mid-drain, so its running
/// tasks waited for their leases to expire and were charged an attempt. Here the command decides when
/// it is done: a worker drains (<c>--drain-timeout</c>, then hands back what is left), a broker stops
/// Kestrel, a client command returns "interrupted". What bounds the wait is the host's
/// <c>ShutdownTimeout</c> and, outside, the service manager's grace period (compose's
/// <c>stop_grace_period</c>) before its SIGKILL.
/// </summary>
internal sealed class TerminationSignals : IDisposable
{
    private readonly CancellationTokenSource _cts = new();
    private readonly PosixSignalRegistration[] _registrations;

    public TerminationSignals()
    {
        _registrations = [PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal), PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal)];
    }

    /// <summary>Cancelled by the first SIGINT or SIGTERM.</summary>
    public CancellationToken Token => _cts.Token;

    private void OnSignal(PosixSignalContext context)
    {
        context.Cancel = true;
        _cts.Cancel();
    }

    public void Dispose()
    {
        foreach (var r in _registrations) r.Dispose();
        _cts.Dispose();
    }
}
