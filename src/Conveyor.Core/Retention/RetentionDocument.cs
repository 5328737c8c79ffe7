using Conveyor.Engine;
using Conveyor.Model;

namespace Conveyor.Retention;

/// <summary>
/// A <see cref="RetentionPolicy"/> as JSON (the HTTP body of <c>GET/PUT /api/v1/retention</c> and what
/// the stores keep): ages as text ("90s", "1h", "30d"), states by their wire names.
/// <code>{"default_max_age":"7d","rules":[{"queue":null,"state":"succeeded","max_age":"1h","max_count":null}]}</code>
/// </summary>
public sealed record RetentionDocument
{
    public string? DefaultMaxAge { get; init; }
    public IReadOnlyList<RetentionRuleDocument>? Rules { get; init; }

    public static RetentionDocument From(RetentionPolicy p) => new()
    {
        DefaultMaxAge = RetentionText.Format(p.DefaultMaxAge),
        Rules = [.. p.Rules.Select(r => new RetentionRuleDocument(r.Queue, r.State.ToWire(), r.MaxAge is { } a ? RetentionText.Format(a) : null, r.MaxCount))],
    };

    /// <summary>The policy this document describes, validated (a <see cref="ConveyorValidationException"/> names each bad field).</summary>
    public RetentionPolicy ToPolicy()
    {
        var errors = new List<ValidationError>();
        var age = TaskDefaults.Retention;
        if (DefaultMaxAge is not null && !RetentionText.TryParse(DefaultMaxAge, out age))
            errors.Add(new("default_max_age", $"'{DefaultMaxAge}' is not an age (examples: 90s, 30m, 1h, 30d)"));
        var rules = new List<RetentionRule>();
        var list = Rules ?? [];
        for (var i = 0; i < list.Count; i++)
        {
            var r = list[i];
            if (r is null) { errors.Add(new($"rules[{i}]", "a rule must be an object")); continue; }
            TimeSpan? maxAge = null;
            if (r.MaxAge is not null)
            {
                if (RetentionText.TryParse(r.MaxAge, out var a)) maxAge = a;
                else errors.Add(new($"rules[{i}].max_age", $"'{r.MaxAge}' is not an age (examples: 90s, 30m, 1h, 30d)"));
            }
            if (!RetentionText.TryParseState(r.State, out var state))
            {
                errors.Add(new($"rules[{i}].state", $"state must be succeeded, failed or cancelled; got '{r.State}'"));
                continue;
            }
            rules.Add(new RetentionRule { Queue = r.Queue, State = state, MaxAge = maxAge, MaxCount = r.MaxCount });
        }
        if (errors.Count > 0) throw new ConveyorValidationException(errors);
        return new RetentionPolicy { DefaultMaxAge = age, Rules = rules }.Validated();
    }
}

public sealed record RetentionRuleDocument(string? Queue, string? State, string? MaxAge, long? MaxCount);
