using System.Diagnostics;

namespace Conveyor.EndToEnd.Tests.Faults;

/// <summary>
/// A small tmpfs mounted for one test (a disk that can be filled in milliseconds), unmounted on
/// dispose. Mounting needs root, as CI has: where it fails the test fails and says why, never skips.
/// </summary>
internal sealed class Tmpfs : IDisposable
{
    public Tmpfs(string path, int megabytes)
    {
        Path = path;
        Directory.CreateDirectory(path);
        var (exit, text) = Run("mount", "-t", "tmpfs", "-o", $"size={megabytes}m,mode=0755", "tmpfs", path);
        if (exit != 0)
            Assert.Fail($"this test mounts a {megabytes} MB tmpfs at {path} to fill a disk, which needs root (CI runs as root): mount said ({exit}) {text.Trim()}");
    }

    public string Path { get; }

    /// <summary>Writes a file until the disk refuses (ENOSPC); returns its path and size.</summary>
    public (string File, long Bytes) Fill()
    {
        var file = System.IO.Path.Combine(Path, "filler");
        long written = 0;
        var chunk = new byte[64 * 1024];
        try
        {
            using var stream = new FileStream(file, FileMode.Create, FileAccess.Write, FileShare.None, bufferSize: 0);
            for (var i = 0; i < 100_000; i++) // bounded: far more than any tmpfs of this test holds
            {
                stream.Write(chunk);
                written += chunk.Length;
            }
        }
        catch (IOException)
        {
            // Full. Top up byte-sized pieces the 64 KB chunk did not fit.
            try
            {
                using var stream = new FileStream(file, FileMode.Append, FileAccess.Write, FileShare.None, bufferSize: 0);
                for (var i = 0; i < 64; i++) { stream.Write(chunk.AsSpan(0, 1024)); written += 1024; }
            }
            catch (IOException) { }
            return (file, written);
        }
        throw new InvalidOperationException($"{Path} never filled up after {written} bytes: is it the tmpfs?");
    }

    public void Dispose() => Run("umount", "-l", Path);

    private static (int, string) Run(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        try
        {
            using var p = Process.Start(psi)!;
            var text = p.StandardError.ReadToEnd() + p.StandardOutput.ReadToEnd();
            p.WaitForExit(10_000);
            return (p.ExitCode, text);
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return (-1, e.Message);
        }
    }
}
