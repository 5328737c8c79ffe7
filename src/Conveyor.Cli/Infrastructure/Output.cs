using System.CommandLine;
using System.Text.Json;
using Conveyor.Json;
using Conveyor.Model;

namespace Conveyor.Cli.Infrastructure;

/// <summary>Human output by default, JSON (the wire dialect) with --json.</summary>
internal static class Output
{
    public static bool IsJson(ParseResult r) => r.GetValue(GlobalOptions.Json);

    public static void Json<T>(T value) => Console.WriteLine(JsonSerializer.Serialize(value, ConveyorJson.Indented));

    public static void Task(TaskRecord t)
    {
        Console.WriteLine($"id:           {t.Id}");
        Console.WriteLine($"type:         {t.Type}");
        Console.WriteLine($"queue:        {t.Queue} (priority {t.Priority})");
        Console.WriteLine($"state:        {t.State.ToWire()}");
        Console.WriteLine($"attempt:      {t.Attempt}/{t.MaxAttempts}");
        Console.WriteLine($"created:      {t.CreatedAt:u}");
        if (t.State is TaskState.Scheduled) Console.WriteLine($"scheduled:    {t.ScheduledFor:u}");
        if (t.StartedAt is { } s) Console.WriteLine($"started:      {s:u}");
        if (t.FinishedAt is { } f) Console.WriteLine($"finished:     {f:u}");
        if (t.Progress is { } p) Console.WriteLine($"progress:     {p.Percent}%{(p.Message is null ? "" : " " + p.Message)}");
        Console.WriteLine($"args:         {Short(t.Args.GetRawText())}");
        if (t.Result is { } r) Console.WriteLine($"result:       {Short(r.GetRawText())}");
        if (t.Error is { } e) Console.WriteLine($"error:        {e.Type}: {e.Message}");
    }

    public static void Table(IReadOnlyList<string> headers, IEnumerable<IReadOnlyList<string>> rows)
    {
        var all = rows.ToList();
        var widths = headers.Select((h, i) => Math.Max(h.Length, all.Count == 0 ? 0 : all.Max(r => r[i].Length))).ToArray();
        Console.WriteLine(string.Join("  ", headers.Select((h, i) => h.PadRight(widths[i]))).TrimEnd());
        foreach (var row in all)
            Console.WriteLine(string.Join("  ", row.Select((c, i) => c.PadRight(widths[i]))).TrimEnd());
    }

    public static string Short(string s, int max = 200) => s.Length <= max ? s : s[..max] + "…";
}
