using System.Net.Mail;
using Microsoft.Extensions.Logging;

namespace Conveyor.Worker;

/// <summary><c>email.send</c>: <c>{"recipient_email", "subject", "body"}</c>.</summary>
public sealed record EmailSendArgs
{
    public string? RecipientEmail { get; init; }
    public string? Subject { get; init; }
    public string? Body { get; init; }
}

public sealed record EmailSent(string SentTo);

/// <summary>A simulated mail send: validates the message, waits as long as a mail server would, logs it.</summary>
internal sealed class EmailSendHandler(TimeSpan duration, TimeProvider time) : ITaskHandler<EmailSendArgs>
{
    public const int MaxSubjectLength = 998; // RFC 5322 line limit
    public const int MaxBodyLength = 512 * 1024;

    public async ValueTask<object?> HandleAsync(EmailSendArgs args, TaskContext context)
    {
        var problems = Validate(args);
        if (problems.Count > 0)
            throw new PermanentTaskFailure("email.send: " + string.Join("; ", problems), "invalid_args");
        await Task.Delay(duration, time, context.CancellationToken).ConfigureAwait(false);
        context.Logger.LogInformation("email sent to {Recipient}: {Subject} ({Length} characters)", args.RecipientEmail, args.Subject, args.Body!.Length);
        return new EmailSent(args.RecipientEmail!);
    }

    internal static List<string> Validate(EmailSendArgs args)
    {
        var problems = new List<string>();
        var to = args.RecipientEmail;
        if (string.IsNullOrWhiteSpace(to)) problems.Add("recipient_email is required");
        else if (!IsEmail(to)) problems.Add($"recipient_email '{(to.Length > 100 ? to[..100] + "…" : to)}' is not a valid email address");
        if (string.IsNullOrWhiteSpace(args.Subject)) problems.Add("subject is required");
        else if (args.Subject.Length > MaxSubjectLength) problems.Add($"subject is at most {MaxSubjectLength} characters; got {args.Subject.Length}");
        else if (args.Subject.AsSpan().IndexOfAny('\r', '\n') >= 0) problems.Add("subject must be one line");
        if (args.Body is null) problems.Add("body is required");
        else if (args.Body.Length > MaxBodyLength) problems.Add($"body is at most {MaxBodyLength} characters; got {args.Body.Length}");
        return problems;
    }

    private static bool IsEmail(string s)
    {
        if (s.Length > 254 || s.Any(char.IsWhiteSpace)) return false;
        if (!MailAddress.TryCreate(s, out var address) || address.Address != s || address.DisplayName.Length > 0) return false;
        var host = address.Host;
        return host.Contains('.') && !host.StartsWith('.') && !host.EndsWith('.');
    }
}
