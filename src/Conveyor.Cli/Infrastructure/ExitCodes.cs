namespace Conveyor.Cli.Infrastructure;

/// <summary>The exit codes of every conveyor command (documented in docs/cli.md).</summary>
internal static class ExitCodes
{
    public const int Ok = 0;
    /// <summary>The operation ran but its outcome is a failure (a waited task failed or was cancelled; a timeout).</summary>
    public const int Failed = 1;
    /// <summary>Bad usage or bad input: an unknown option, a malformed value, a name out of pattern.</summary>
    public const int Usage = 2;
    /// <summary>No such task / nothing matched.</summary>
    public const int NotFound = 3;
    /// <summary>The broker or store could not be reached, or refused the credentials.</summary>
    public const int Unavailable = 4;
}

/// <summary>An error the CLI reports as one clear line and an exit code; never a stack trace.</summary>
internal sealed class CliException(string message, int exitCode = ExitCodes.Usage) : Exception(message)
{
    public int ExitCode { get; } = exitCode;
}
