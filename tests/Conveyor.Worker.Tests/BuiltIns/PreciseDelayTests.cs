using System.Diagnostics;
using Microsoft.Extensions.Time.Testing;

namespace Conveyor.Worker.Tests.BuiltIns;

public sealed class PreciseDelayTests
{
    [Fact]
    public async Task Never_ends_before_its_duration_whatever_the_order_they_were_scheduled_in()
    {
        // Scheduled longest first, so every new one becomes the timer thread's earliest deadline.
        var durations = new[] { 60, 45, 30, 15, 5, 1 };
        var delays = durations.Select(async ms =>
        {
            var started = Stopwatch.GetTimestamp();
            await PreciseDelay.Delay(TimeSpan.FromMilliseconds(ms), TimeProvider.System, CancellationToken.None);
            return (ms, Stopwatch.GetElapsedTime(started));
        }).ToList();
        foreach (var (ms, elapsed) in await Task.WhenAll(delays))
            Assert.True(elapsed >= TimeSpan.FromMilliseconds(ms), $"a {ms} ms delay ended after {elapsed.TotalMilliseconds} ms");
    }

    [Fact]
    public async Task Cancellation_ends_it_at_once_and_a_later_delay_still_runs()
    {
        using var cts = new CancellationTokenSource();
        var cancelled = PreciseDelay.Delay(TimeSpan.FromMilliseconds(900), TimeProvider.System, cts.Token);
        var other = PreciseDelay.Delay(TimeSpan.FromMilliseconds(20), TimeProvider.System, CancellationToken.None);
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled);
        await other;
        Assert.True(other.IsCompletedSuccessfully);
        // An already-cancelled token never schedules anything.
        Assert.True(PreciseDelay.Delay(TimeSpan.FromMilliseconds(5), TimeProvider.System, cts.Token).IsCanceled);
    }

    [Fact]
    public void On_64_bit_Linux_the_last_fraction_of_a_millisecond_is_slept_with_clock_nanosleep()
    {
        // Where the tests run (Linux x64) the C library's clock_nanosleep must be found: without it every
        // sleep falls back to whole milliseconds, rounded up (0.5 ms late on average).
        Assert.Equal(OperatingSystem.IsLinux() && Environment.Is64BitProcess, PreciseDelay.SubMillisecond);
    }

    [Fact]
    public async Task A_fake_clock_keeps_task_delay_semantics()
    {
        var time = new FakeTimeProvider();
        var delay = PreciseDelay.Delay(TimeSpan.FromMilliseconds(10), time, CancellationToken.None);
        await Task.Delay(50);
        Assert.False(delay.IsCompleted); // real time passing does not end a fake-clock delay
        time.Advance(TimeSpan.FromMilliseconds(10));
        await delay.WaitAsync(TimeSpan.FromSeconds(5));
    }
}
