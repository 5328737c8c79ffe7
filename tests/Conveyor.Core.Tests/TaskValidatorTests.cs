using System.Text.Json;
using Conveyor.Engine;
using Conveyor.Model;

namespace Conveyor.Tests;

public sealed class TaskValidatorTests
{
    private static readonly DateTimeOffset Now = new(2026, 1, 2, 3, 4, 5, TimeSpan.Zero);

    [Theory]
    [InlineData("fib", true)]
    [InlineData("email.send", true)]
    [InlineData("a-b_c.9", true)]
    [InlineData("Fib", false)]
    [InlineData("-fib", false)]
    [InlineData("", false)]
    [InlineData("fib!", false)]
    [InlineData("é", false)]
    public void Type_names_follow_the_pattern(string type, bool ok)
    {
        var errors = TaskValidator.Validate(new TaskSubmission { Type = type }, TaskLimits.Default);
        Assert.Equal(ok, errors.Count == 0);
        if (!ok) Assert.Equal("type", Assert.Single(errors).Field);
    }

    [Fact]
    public void Type_of_100_characters_is_allowed_101_is_not()
    {
        Assert.Empty(TaskValidator.Validate(new TaskSubmission { Type = new string('a', 100) }, TaskLimits.Default));
        Assert.NotEmpty(TaskValidator.Validate(new TaskSubmission { Type = new string('a', 101) }, TaskLimits.Default));
        Assert.NotEmpty(TaskValidator.Validate(new TaskSubmission { Type = "x", Queue = new string('q', 65) }, TaskLimits.Default));
    }

    [Fact]
    public void Every_problem_is_reported_with_its_field()
    {
        var s = new TaskSubmission
        {
            Type = "BAD",
            Queue = "Bad Queue",
            Priority = 12,
            Delay = TimeSpan.FromSeconds(-1),
            MaxAttempts = 0,
            Timeout = TimeSpan.Zero,
        };
        var fields = TaskValidator.Validate(s, TaskLimits.Default).Select(e => e.Field).ToHashSet();
        Assert.Equal(["delay", "max_attempts", "priority", "queue", "timeout", "type"], fields.Order());
        var ex = Assert.Throws<ConveyorValidationException>(() => TaskValidator.Build(s, "id", Now, TaskLimits.Default));
        Assert.Contains("priority must be between 0 and 9", ex.Message);
    }

    [Fact]
    public void Args_over_the_limit_are_refused_as_too_large()
    {
        var big = JsonDocument.Parse("\"" + new string('x', 2000) + "\"").RootElement;
        var ex = Assert.Throws<ConveyorValidationException>(() =>
            TaskValidator.Build(new TaskSubmission { Type = "noop", Args = big }, "id", Now, new TaskLimits { MaxArgsBytes = 1000 }));
        Assert.True(ex.IsTooLarge);
        Assert.Equal("args", Assert.Single(ex.Errors).Field);
    }

    [Fact]
    public void Defaults_are_those_of_the_design()
    {
        var t = TaskValidator.Build(new TaskSubmission { Type = "noop" }, "id1", Now, TaskLimits.Default);
        Assert.Equal("default", t.Queue);
        Assert.Equal(0, t.Priority);
        Assert.Equal(5, t.MaxAttempts);
        Assert.Equal(TimeSpan.FromMinutes(30), t.Timeout);
        Assert.Equal(TaskState.Pending, t.State);
        Assert.Equal(Now, t.ScheduledFor);
        Assert.Equal(BackoffPolicy.Default, t.Backoff);
        Assert.Equal(JsonValueKind.Null, t.Args.ValueKind);
    }

    [Fact]
    public void A_delay_makes_the_task_scheduled()
    {
        var t = TaskValidator.Build(new TaskSubmission { Type = "noop", Delay = TimeSpan.FromSeconds(10) }, "id1", Now, TaskLimits.Default);
        Assert.Equal(TaskState.Scheduled, t.State);
        Assert.Equal(Now.AddSeconds(10), t.ScheduledFor);
        var past = TaskValidator.Build(new TaskSubmission { Type = "noop", RunAt = Now.AddMinutes(-1) }, "id2", Now, TaskLimits.Default);
        Assert.Equal(TaskState.Pending, past.State);
    }
}
