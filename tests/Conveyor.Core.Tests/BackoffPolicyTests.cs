using Conveyor.Model;

namespace Conveyor.Tests;

public sealed class BackoffPolicyTests
{
    [Theory]
    [InlineData(1, 1.0)]
    [InlineData(2, 2.0)]
    [InlineData(3, 4.0)]
    [InlineData(13, 3600.0)] // 2^12 s would be 4096 s: capped at one hour
    public void Exponential_ceiling_doubles_and_is_capped(int failedAttempt, double ceilingSeconds)
    {
        var p = BackoffPolicy.Default;
        Assert.Equal(ceilingSeconds, p.DelayAfter(failedAttempt, 1.0).TotalSeconds, 6);
        Assert.Equal(ceilingSeconds / 2, p.DelayAfter(failedAttempt, 0.5).TotalSeconds, 6);
        Assert.Equal(0, p.DelayAfter(failedAttempt, 0.0).TotalSeconds);
    }

    [Fact]
    public void Full_jitter_spreads_delays_over_the_whole_range()
    {
        var p = BackoffPolicy.Default;
        var rng = new Random(42);
        var delays = Enumerable.Range(0, 1000).Select(_ => p.DelayAfter(4, rng.NextDouble()).TotalSeconds).ToList();
        Assert.All(delays, d => Assert.InRange(d, 0, 8));
        Assert.True(delays.Min() < 1 && delays.Max() > 7, "full jitter covers [0, ceiling]");
    }

    [Fact]
    public void Fixed_and_none()
    {
        Assert.Equal(TimeSpan.FromSeconds(5), BackoffPolicy.FixedDelay(TimeSpan.FromSeconds(5)).DelayAfter(7, 0.1));
        Assert.Equal(TimeSpan.Zero, BackoffPolicy.None.DelayAfter(3, 0.9));
    }

    [Fact]
    public void Huge_attempt_numbers_do_not_overflow()
    {
        Assert.Equal(3600, BackoffPolicy.Default.DelayAfter(int.MaxValue, 1.0).TotalSeconds, 6);
    }

    [Fact]
    public void Validation_names_the_bad_field()
    {
        Assert.Contains("factor", new BackoffPolicy(BackoffKind.Exponential, TimeSpan.FromSeconds(1), 0.5, TimeSpan.FromHours(1)).Validate());
        Assert.Contains("base", new BackoffPolicy(BackoffKind.Fixed, TimeSpan.FromSeconds(-1), 1, TimeSpan.FromHours(1)).Validate());
        Assert.Null(BackoffPolicy.Default.Validate());
    }
}
