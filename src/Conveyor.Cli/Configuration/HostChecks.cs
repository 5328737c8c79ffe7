using Conveyor.Engine;

namespace Conveyor.Cli.Configuration;

/// <summary>
/// Start-time checks of a broker's rate limits and retention (issue 11: settable from appsettings.json,
/// <c>CONVEYOR__…</c> and flags alike), each naming the key and the value in its line.
/// </summary>
internal static class HostChecks
{
    public static void RateLimits(ConveyorSettings s, Action<string, string> bad)
    {
        if (s.Server.RateLimitPerToken < 0) bad("Server:RateLimitPerToken", "must be 0 (off) or more requests per window");
        if (s.Server.RateLimitPerAddress < 0) bad("Server:RateLimitPerAddress", "must be 0 (off) or more requests per window");
        if (s.Server.RateLimitWindow <= TimeSpan.Zero) bad("Server:RateLimitWindow", "must be a positive duration (e.g. 1s, 1m)");
    }

    /// <summary>Applies the <c>Retention</c> section to the broker's retention options, once it reads as a valid policy.</summary>
    public static void Retention(ConveyorSettings s, Action<string, string> bad)
    {
        var r = s.Retention;
        if (r.MaxCount is < 0) { bad("Retention:MaxCount", "must be 0 or more"); return; }
        if (r.DefaultMaxAge is { } age)
        {
            if (age <= TimeSpan.Zero) { bad("Retention:DefaultMaxAge", "must be a positive duration (e.g. 7d)"); return; }
            s.Server.Retention.DefaultMaxAge = age;
        }
        try
        {
            s.Server.Retention.Apply(r.Rules, r.MaxCount).ToPolicy();
        }
        catch (FormatException e) { bad("Retention:Rules", e.Message); }
        catch (ConveyorValidationException e) { bad(r.Rules is null ? "Retention:DefaultMaxAge" : "Retention:Rules", e.Message); }
    }
}
