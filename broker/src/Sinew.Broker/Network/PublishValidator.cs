// Checks what a client sends before it reaches a queue: names, headers, limits, duration ranges and option
// combinations (specification sections 7 and 8.3). Failures are `invalid` errors that name the field and the rule.
using System.Text;
using Sinew.Broker.Configuration;
using Sinew.Broker.Queues;
using Sinew.Protocol.Messages;
using Sinew.Protocol.Naming;
using Sinew.Protocol.Timing;

namespace Sinew.Broker.Network;

internal static class PublishValidator
{
    private const int MaxContentTypeBytes = 255;

    public static QueueName QueueName(string topic, string? group)
    {
        if (NameRules.Validate(topic) is { } problem)
        {
            throw BrokerErrorException.Invalid("topic", $"'{topic}' is not a valid topic: {Describe(problem)}", problem.WireName());
        }

        var name = new QueueName(topic, group);
        if (name.Group is { } g && NameRules.Validate(g) is { } groupProblem)
        {
            throw BrokerErrorException.Invalid("group", $"'{g}' is not a valid group: {Describe(groupProblem)}", groupProblem.WireName());
        }

        return name;
    }

    /// <summary>Checks one message; <paramref name="nowMs"/> is the broker's clock, against which a not-before
    /// time is checked.</summary>
    public static void Message(PublishMessage message, LimitOptions limits, long nowMs)
    {
        if (message.ContentType is { } contentType)
        {
            if (Encoding.UTF8.GetByteCount(contentType) > MaxContentTypeBytes || contentType.Any(char.IsControl))
            {
                throw BrokerErrorException.Invalid("content_type", $"a content type is at most {MaxContentTypeBytes} bytes without control characters");
            }
        }

        if (message.Headers is { } headers)
        {
            if (headers.Count > limits.MaxHeaders)
            {
                throw BrokerErrorException.Invalid("headers", $"a message has at most {limits.MaxHeaders} headers, not {headers.Count}", "too_many");
            }

            foreach (var (key, value) in headers)
            {
                if (HeaderRules.ValidateKey(key) is { } problem)
                {
                    var why = problem == HeaderKeyProblem.ReservedPrefix
                        ? $"header '{key}' uses the reserved prefix '{HeaderRules.ReservedPrefix}' (only '{HeaderRules.ClientPrefix}' is open to clients)"
                        : $"header key '{key}' is not valid ({problem.WireName()})";
                    throw BrokerErrorException.Invalid("headers", why, problem.WireName());
                }

                if (Encoding.UTF8.GetByteCount(value) > HeaderRules.MaxValueBytes)
                {
                    throw BrokerErrorException.Invalid("headers", $"the value of header '{key}' is longer than {HeaderRules.MaxValueBytes} bytes", "too_long");
                }
            }
        }

        if (message.NotBeforeMs is not null && message.DelayMs is not null)
        {
            throw BrokerErrorException.Invalid("delay_ms", "give not_before_ms or delay_ms, not both");
        }

        DurationValidator.Check(DurationField.PublishTtl, message.TtlMs, nowMs,
            message.TtlMs is 0 ? "a TTL of 0 would expire the message at once; leave it absent for no expiry" : null);
        DurationValidator.Check(DurationField.PublishDelay, message.DelayMs, nowMs);
        DurationValidator.Check(DurationField.PublishNotBefore, message.NotBeforeMs, nowMs);

        if ((message.ProducerId is null) != (message.Sequence is null))
        {
            throw BrokerErrorException.Invalid("producer_id", "an idempotency key needs both producer_id and sequence");
        }

        if (message.ProducerId is { } producer && NameRules.Validate(producer, NameRules.MaxProducerIdBytes) is { } producerProblem)
        {
            throw BrokerErrorException.Invalid("producer_id", $"'{producer}' is not a valid producer id: {Describe(producerProblem)}", producerProblem.WireName());
        }
    }

    private static string Describe(NameProblem problem) => problem switch
    {
        NameProblem.Empty => "names cannot be empty",
        NameProblem.InvalidUnicode => "it is not valid Unicode",
        NameProblem.TooLong => $"names are at most {NameRules.MaxNameBytes} bytes of UTF-8",
        NameProblem.ReservedName => "'.' and '..' are reserved",
        NameProblem.ReservedPrefix => "names starting with '$' are reserved for the broker",
        NameProblem.ControlCharacter => "it contains a control character",
        NameProblem.Whitespace => "it contains whitespace",
        _ => "it contains one of * > ? # / \\",
    };
}
