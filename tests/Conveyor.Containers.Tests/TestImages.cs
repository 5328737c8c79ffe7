namespace Conveyor.Containers.Tests;

/// <summary>
/// The running Docker engine and the Debian-made base images (test-images.sh), made once per test
/// process. Never a skip: when Docker cannot be started here, every container test fails with the
/// reason, since CI runs as root and must run them.
/// </summary>
public static class TestImages
{
    private static readonly SemaphoreSlim Gate = new(1, 1);
    private static IReadOnlyDictionary<string, string>? _images;

    /// <summary>CT_SDK_IMAGE, CT_RUNTIME_IMAGE, CT_REDIS_IMAGE.</summary>
    public static async Task<IReadOnlyDictionary<string, string>> Ensure()
    {
        await Gate.WaitAsync();
        try
        {
            if (_images is not null) return _images;
            var script = Path.Combine(Repository.Root, "tests", "Conveyor.Containers.Tests", "test-images.sh");
            var result = await Command.Run("bash", [script, Repository.DotnetRoot], TimeSpan.FromMinutes(15));
            if (result.ExitCode != 0)
                throw new InvalidOperationException($"the container tests need a Docker engine and their base images, and test-images.sh could not provide them (exit {result.ExitCode}):\n{CommandResult.Tail(result.Stderr, 6000)}");
            var images = new Dictionary<string, string>();
            foreach (var line in result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                if (line.Split('=', 2) is [var k, var v] && k.StartsWith("CT_", StringComparison.Ordinal)) images[k] = v;
            foreach (var key in new[] { "CT_SDK_IMAGE", "CT_RUNTIME_IMAGE", "CT_REDIS_IMAGE" })
                if (!images.ContainsKey(key)) throw new InvalidOperationException($"test-images.sh printed no {key}:\n{result.Output}");
            return _images = images;
        }
        finally
        {
            Gate.Release();
        }
    }
}
