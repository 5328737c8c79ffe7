using Conveyor.Store;

namespace Conveyor.Core.Tests;

/// <summary>A store that does not answer is recognised, and its client's message cut to one line without the counters.</summary>
public sealed class StoreUnreachableExceptionTests
{
    private const string FailFast =
        "No connection is active/available to service this operation: EVALSHA; UnableToConnect on 127.0.0.1:18779/Interactive, Initializing/NotStarted, last: NONE, origin: BeginConnectAsync, outstanding: 0, IOCP: (Busy=0,Free=1000,Min=1,Max=1000)";

    private const string Backlog =
        "The message timed out in the backlog attempting to send because no connection became available (5000ms) - Last Connection Exception: UnableToConnect on 127.0.0.1:1/Subscription, Initializing/NotStarted, last: NONE, mgr: 10 of 10 available";

    [Theory]
    [InlineData(FailFast, "No connection is active/available to service this operation: EVALSHA; UnableToConnect on 127.0.0.1:18779/Interactive")]
    [InlineData(Backlog, "The message timed out in the backlog attempting to send because no connection became available (5000ms) (UnableToConnect on 127.0.0.1:1/Subscription)")]
    [InlineData("SocketClosed (ReadEndOfStream, last-recv: 0) on 127.0.0.1:6379/Interactive, Idle/MarkProcessed, last: PING", "SocketClosed (ReadEndOfStream, last-recv: 0) on 127.0.0.1:6379/Interactive, Idle/MarkProcessed, last: PING")]
    [InlineData("first line\n   at Somewhere()", "first line")]
    public void Brief_keeps_what_failed_and_where_in_one_line(string message, string expected) =>
        Assert.Equal(expected, StoreUnreachableException.Brief(new InvalidOperationException(message)));

    [Fact]
    public void Our_own_exception_and_a_wrapped_one_are_unreachable_and_others_are_not()
    {
        var own = new StoreUnreachableException("Redis does not answer", outcomeUnknown: false);
        Assert.True(StoreUnreachableException.IsUnreachable(own));
        Assert.True(StoreUnreachableException.IsUnreachable(new AggregateException(own)));
        Assert.False(StoreUnreachableException.IsUnreachable(new InvalidOperationException("a bug")));
        Assert.False(StoreUnreachableException.IsUnreachable(new InvalidOperationException("a bug", own)));
        Assert.False(StoreUnreachableException.IsUnreachable(null));
    }

    [Fact]
    public void Find_keeps_whether_the_outcome_is_unknown()
    {
        var sent = new StoreUnreachableException("Redis did not answer in time", outcomeUnknown: true);
        Assert.Same(sent, StoreUnreachableException.Find(new AggregateException(sent)));
        Assert.True(StoreUnreachableException.Find(sent)!.OutcomeUnknown);
        Assert.False(StoreUnreachableException.Find(new StoreUnreachableException("no connection", outcomeUnknown: false))!.OutcomeUnknown);
        Assert.Null(StoreUnreachableException.Find(new StoreFullException("no room")));
    }
}
