namespace Conveyor.RabbitMq;

// Expiry: a task not started by its expires_at ends expired and never runs. The records end it: at
// lease (TaskLeaseByIds ends the queue's expired tasks before leasing, so the message of one is spent
// and acknowledged), when the outbox is taken (an expired due retry is never published), and in the
// maintenance sweep for tasks still waiting (scheduled in the records, or ready with their message in
// RabbitMQ: that message, delivered later, finds the task expired and is spent).
public sealed partial class RabbitMqTaskDelivery
{
    public bool SupportsExpiry => true;
}
