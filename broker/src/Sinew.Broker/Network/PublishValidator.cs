// Checks what a client publishes before it reaches a queue: headers, limits, duration ranges and option
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
            throw BrokerErrorException.Invalid("producer_id", $"'{producer}' is not a valid producer id: {producerProblem.Describe()}", producerProblem.WireName());
        }
    }
}
