using System.Runtime.InteropServices;

namespace Conveyor.Containers.Tests;

/// <summary>Where the checkout and this machine's .NET are.</summary>
public static class Repository
{
    /// <summary>The repository root: the folder above the tests that holds Conveyor.slnx.</summary>
    public static string Root { get; } = FindRoot();

    /// <summary>
    /// This machine's .NET root (the folder of the <c>dotnet</c> host, with shared/ and sdk/): three
    /// levels above the running runtime's own folder (shared/Microsoft.NETCore.App/VERSION/).
    /// </summary>
    public static string DotnetRoot { get; } = Path.GetFullPath(Path.Combine(RuntimeEnvironment.GetRuntimeDirectory(), "..", "..", ".."));

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Conveyor.slnx"))) return dir.FullName;
        throw new InvalidOperationException($"no Conveyor.slnx above {AppContext.BaseDirectory}");
    }
}
