using Conveyor.RabbitMq;

namespace Conveyor.Stores.Tests.RabbitMq;

/// <summary>The <c>rabbitmq://</c> URL <c>--store</c> and <c>UseRabbitMq</c> take.</summary>
public sealed class RabbitMqUrlTests
{
    [Fact]
    public void A_full_url_names_the_server_the_vhost_the_prefix_and_the_records()
    {
        var o = RabbitMqStoreOptions.FromUrl("rabbitmq://ann:s3cret@mq.internal:5673/conveyor?prefix=cv.&records=redis://:pw@redis.internal:6380/2");
        Assert.Equal("amqp://ann:s3cret@mq.internal:5673/conveyor", o.AmqpUri.ToString());
        Assert.Equal("cv.", o.QueuePrefix);
        Assert.Equal("redis://:pw@redis.internal:6380/2", o.Records.ConnectionString);
    }

    [Fact]
    public void The_port_defaults_to_5672_and_the_prefix_to_conveyor_dot()
    {
        var o = RabbitMqStoreOptions.FromUrl("rabbitmq://mq?records=redis://r:6379");
        Assert.Equal(5672, o.AmqpUri.Port);
        Assert.Equal("conveyor.", o.QueuePrefix);
    }

    [Theory]
    [InlineData("rabbitmq://mq:5672/v", "needs its records store")]
    [InlineData("rabbitmq://mq:5672/v?records=postgres://x", "must be Redis")]
    [InlineData("rabbitmq://mq:5672/v?colour=blue&records=redis://r", "unknown setting 'colour'")]
    [InlineData("amqp://mq:5672/v?records=redis://r", "not a rabbitmq:// URL")]
    public void A_bad_url_is_refused_with_what_is_wrong(string url, string expected)
    {
        var e = Assert.Throws<ArgumentException>(() => RabbitMqStoreOptions.FromUrl(url));
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Passwords_are_hidden_in_what_is_logged()
    {
        var shown = RabbitMqStoreOptions.Redacted("rabbitmq://ann:s3cret@mq:5672/v?records=redis://:pw@r:6379");
        Assert.DoesNotContain("s3cret", shown, StringComparison.Ordinal);
        Assert.DoesNotContain(":pw@", shown, StringComparison.Ordinal);
        Assert.Contains("mq:5672/v", shown, StringComparison.Ordinal);
    }
}
