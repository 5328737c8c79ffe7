using System.Text;
using System.Text.RegularExpressions;

namespace Conveyor.Redis.Scripts;

/// <summary>
/// Lib.lua's helpers, prepended to a script: only those the script uses, directly or through another
/// helper. Redis runs a script's whole chunk on every call, and each <c>local function</c> there
/// makes a closure at run time: the full Lib.lua cost a single-task enqueue about 2.5 µs of Redis CPU
/// (of about 30) for helpers it never called.
/// </summary>
/// <remarks>
/// Lib.lua's layout makes the split mechanical: a definition starts at a line "local …" in column 0,
/// with the "--" comment lines just above it; a function ends at the line "end" in column 0, a value
/// at the next blank line. A use is the helper's name as a whole word anywhere in the script (a
/// mention in a comment only adds a helper that is not needed, never leaves out one that is).
/// </remarks>
internal sealed partial class LuaPrelude
{
    private readonly List<(string Name, string Text, HashSet<string> Uses)> _definitions = [];

    public LuaPrelude(string lib)
    {
        var lines = lib.Replace("\r\n", "\n").Split('\n');
        var i = 0;
        while (i < lines.Length)
        {
            var start = i;
            while (i < lines.Length && lines[i].StartsWith("--", StringComparison.Ordinal) && !lines[i].StartsWith("--[[", StringComparison.Ordinal)) i++;
            if (i < lines.Length && lines[i].StartsWith("--[[", StringComparison.Ordinal))
            {
                // A block comment (the file's header): not part of any definition.
                while (i < lines.Length && !lines[i].StartsWith("]]", StringComparison.Ordinal)) i++;
                i++;
                continue;
            }
            if (i >= lines.Length || !lines[i].StartsWith("local ", StringComparison.Ordinal))
            {
                if (i < lines.Length && lines[i].Trim().Length > 0 && !lines[i].StartsWith("--", StringComparison.Ordinal))
                    throw new InvalidOperationException($"Lib.lua line {i + 1}: only 'local' definitions and comments may stand at the top level: '{lines[i]}'");
                i = Math.Max(i, start) + 1;
                continue;
            }
            var header = DefinitionName().Match(lines[i]);
            if (!header.Success) throw new InvalidOperationException($"Lib.lua line {i + 1}: cannot name the definition '{lines[i]}'");
            var isFunction = header.Groups["fn"].Success;
            var end = i;
            if (isFunction)
                while (end < lines.Length && lines[end] != "end") end++;
            else
                while (end + 1 < lines.Length && lines[end + 1].Trim().Length > 0 && !lines[end + 1].StartsWith("local ", StringComparison.Ordinal) && !lines[end + 1].StartsWith("--", StringComparison.Ordinal)) end++;
            if (end >= lines.Length) throw new InvalidOperationException($"Lib.lua line {i + 1}: function '{header.Groups["name"].Value}' has no 'end' in column 0");
            var text = string.Join('\n', lines[start..(end + 1)]);
            _definitions.Add((header.Groups["name"].Value, text, Words(string.Join('\n', lines[i..(end + 1)]))));
            i = end + 1;
        }
        var names = _definitions.Select(d => d.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var d in _definitions)
        {
            d.Uses.IntersectWith(names);
            d.Uses.Remove(d.Name);
        }
    }

    /// <summary>The names Lib.lua defines, in order.</summary>
    public IEnumerable<string> Names => _definitions.Select(d => d.Name);

    /// <summary>The helpers <paramref name="script"/> needs, in Lib.lua's order, followed by the script.</summary>
    public string Prepend(string script) => Needed(script) is { Count: > 0 } needed
        ? string.Join("\n\n", _definitions.Where(d => needed.Contains(d.Name)).Select(d => d.Text)) + "\n\n" + script
        : script;

    /// <summary>The names of the helpers <paramref name="script"/> needs, directly or through other helpers.</summary>
    public HashSet<string> Needed(string script)
    {
        var byName = _definitions.ToDictionary(d => d.Name, StringComparer.Ordinal);
        var needed = new HashSet<string>(StringComparer.Ordinal);
        var pending = new Stack<string>(Words(script).Where(byName.ContainsKey));
        while (pending.TryPop(out var name))
        {
            if (!needed.Add(name)) continue;
            foreach (var use in byName[name].Uses) pending.Push(use);
        }
        return needed;
    }

    private static HashSet<string> Words(string text) =>
        Identifier().Matches(text).Select(m => m.Value).ToHashSet(StringComparer.Ordinal);

    [GeneratedRegex(@"^local\s+(?<fn>function\s+)?(?<name>[A-Za-z_][A-Za-z0-9_]*)")]
    private static partial Regex DefinitionName();

    [GeneratedRegex(@"[A-Za-z_][A-Za-z0-9_]*")]
    private static partial Regex Identifier();
}
