namespace Conveyor.Cli.Bench;

/// <summary>
/// The progress display of a bench run, on stderr so stdout stays the report: a line rewritten in
/// place on a terminal, a line per phase when stderr is redirected.
/// </summary>
internal sealed class BenchProgress(bool quiet)
{
    private readonly bool _interactive = !Console.IsErrorRedirected;
    private long _lastDraw;

    public void Phase(string text)
    {
        if (quiet) return;
        if (_interactive) Console.Error.Write("\r\u001b[K");
        Console.Error.WriteLine($"[bench] {text}");
    }

    public void Tick(string phase, long done, long total)
    {
        if (quiet || !_interactive) return;
        var now = Environment.TickCount64;
        if (done < total && now - Interlocked.Read(ref _lastDraw) < 100) return;
        Interlocked.Exchange(ref _lastDraw, now);
        var pct = total == 0 ? 100 : done * 100 / total;
        Console.Error.Write($"\r\u001b[K[bench] {phase}: {done}/{total} ({pct}%)");
    }

    public void Done()
    {
        if (!quiet && _interactive) Console.Error.Write("\r\u001b[K");
    }
}
