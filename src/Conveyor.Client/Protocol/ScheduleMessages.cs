using Conveyor.Schedules;

namespace Conveyor.Client.Protocol;

/// <summary>
/// A schedule as <c>/api/v1/schedules</c> sends it: its definition (as <c>PUT</c> takes it) and where it
/// stands (<c>next_run_at</c>: the next tick to submit, null while paused; <c>last_run_at</c> and
/// <c>last_task_id</c>: the latest tick submitted and its task).
/// </summary>
public sealed record ScheduleView
{
    public required string Name { get; init; }
    public string? Cron { get; init; }
    public TimeSpan? Interval { get; init; }
    public string? TimeZone { get; init; }
    public required ScheduleTask Task { get; init; }
    public MisfirePolicy Misfire { get; init; }
    public TimeSpan? CatchUp { get; init; }
    public bool Paused { get; init; }
    public DateTimeOffset? NextRunAt { get; init; }
    public DateTimeOffset? LastRunAt { get; init; }
    public string? LastTaskId { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset UpdatedAt { get; init; }

    public static ScheduleView From(Schedule s) => new()
    {
        Name = s.Name,
        Cron = s.Definition.Cron,
        Interval = s.Definition.Interval,
        TimeZone = s.Definition.TimeZone,
        Task = s.Definition.Task,
        Misfire = s.Definition.Misfire ?? MisfirePolicy.CatchUp,
        CatchUp = s.Definition.CatchUp,
        Paused = s.Paused,
        NextRunAt = s.NextRunAt,
        LastRunAt = s.LastRunAt,
        LastTaskId = s.LastTaskId,
        CreatedAt = s.CreatedAt,
        UpdatedAt = s.UpdatedAt,
    };
}

/// <summary>
/// The body of <c>PUT /api/v1/schedules/{name}</c> (the name comes from the path; a <c>name</c> in the body
/// must match it).
/// </summary>
public sealed record ScheduleRequest
{
    public string? Name { get; init; }
    public string? Cron { get; init; }
    public TimeSpan? Interval { get; init; }
    public string? TimeZone { get; init; }
    public ScheduleTask? Task { get; init; }
    public MisfirePolicy? Misfire { get; init; }
    public TimeSpan? CatchUp { get; init; }
    public bool? Paused { get; init; }

    public static ScheduleRequest From(ScheduleDefinition d) => new()
    {
        Name = d.Name, Cron = d.Cron, Interval = d.Interval, TimeZone = d.TimeZone, Task = d.Task,
        Misfire = d.Misfire, CatchUp = d.CatchUp, Paused = d.Paused,
    };

    public ScheduleDefinition ToDefinition(string name) => new()
    {
        Name = name, Cron = Cron, Interval = Interval, TimeZone = TimeZone, Task = Task!,
        Misfire = Misfire, CatchUp = CatchUp, Paused = Paused,
    };
}

public sealed record ScheduleListResponse(IReadOnlyList<ScheduleView> Schedules);
