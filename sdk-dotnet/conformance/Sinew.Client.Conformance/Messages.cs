// Converting between the driver protocol's JSON and the client's messages, deliveries and receipts.
using System.Text;
using System.Text.Json.Nodes;

namespace Sinew.Client.Conformance;

internal static class Messages
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>An <see cref="OutgoingMessage"/> from <c>{"payload", "headers", "key", "delay_ms",
    /// "not_before_at_ms", "ttl_ms"}</c>, built with the client's payload helpers. Values are passed on as given,
    /// even contradictory or out of range ones, so the client's own checks decide.</summary>
    public static OutgoingMessage Build(JsonNode? spec)
    {
        if (spec is not JsonObject json)
        {
            throw new DriverException("a message must be an object");
        }

        var request = new Request(json);
        var payload = request.OptionalObject("payload") ?? throw new DriverException("a message needs a payload object");
        var payloadRequest = new Request(payload);
        OutgoingMessage message;
        if (payload.ContainsKey("text"))
        {
            message = OutgoingMessage.FromText(payloadRequest.String("text"));
        }
        else if (payload.ContainsKey("json"))
        {
            // A JSON null payload is the document "null"; the serializer writes it for a null node.
            message = OutgoingMessage.FromJson(payload["json"]?.DeepClone()!, DriverJsonContext.Default.JsonNode);
        }
        else if (payload.ContainsKey("base64"))
        {
            byte[] bytes;
            try
            {
                bytes = Convert.FromBase64String(payloadRequest.String("base64"));
            }
            catch (FormatException)
            {
                throw new DriverException("payload.base64 is not valid base64");
            }

            message = OutgoingMessage.FromBytes(bytes);
        }
        else
        {
            throw new DriverException("a payload is one of {\"text\"}, {\"json\"} or {\"base64\"}");
        }

        if (payloadRequest.OptionalString("content_type") is { } contentType)
        {
            message = message with { ContentType = contentType };
        }

        if (request.OptionalObject("headers") is { } headers)
        {
            var map = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var (key, value) in headers)
            {
                map[key] = value is JsonValue v && v.TryGetValue<string>(out var text)
                    ? text
                    : throw new DriverException($"header \"{key}\" must have a string value");
            }

            message = message with { Headers = map };
        }

        if (request.OptionalString("key") is { } partitionKey)
        {
            message = message.WithKey(partitionKey);
        }

        // Set directly rather than through WithDelay/WithNotBefore, which clear each other: a message with both is
        // the client's to refuse.
        if (request.OptionalInteger("delay_ms") is { } delayMs)
        {
            message = message with { Delay = TimeSpan.FromMilliseconds(delayMs) };
        }

        if (request.OptionalInteger("not_before_at_ms") is { } notBeforeMs)
        {
            message = message with { NotBefore = DateTimeOffset.FromUnixTimeMilliseconds(notBeforeMs) };
        }

        if (request.OptionalInteger("ttl_ms") is { } ttlMs)
        {
            message = message with { Ttl = TimeSpan.FromMilliseconds(ttlMs) };
        }

        return message;
    }

    public static List<OutgoingMessage> BuildAll(JsonArray specs) => [.. specs.Select(Build)];

    public static JsonObject Receipt(PublishReceipt receipt) => new()
    {
        ["partition"] = receipt.Partition,
        ["offset"] = receipt.Offset.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["duplicate"] = receipt.Duplicate,
    };

    public static JsonObject Receipts(IEnumerable<PublishReceipt> receipts) =>
        new() { ["receipts"] = new JsonArray([.. receipts.Select(r => (JsonNode)Receipt(r))]) };

    /// <summary>A delivery as the runner sees it; <paramref name="receivedAtMs"/> is when it was handed to the
    /// driver.</summary>
    public static JsonObject Delivery(Delivery delivery, long receivedAtMs)
    {
        string? text;
        try
        {
            text = StrictUtf8.GetString(delivery.Payload.Span);
        }
        catch (DecoderFallbackException)
        {
            // Not UTF-8: the bytes are reported in base64 only.
            text = null;
        }

        var headers = new JsonObject();
        foreach (var (key, value) in delivery.Headers.OrderBy(h => h.Key, StringComparer.Ordinal))
        {
            headers[key] = value;
        }

        return new JsonObject
        {
            ["payload_base64"] = Convert.ToBase64String(delivery.Payload.Span),
            ["payload_text"] = text,
            ["text"] = delivery.Text,
            ["is_settled"] = delivery.IsSettled,
            ["content_type"] = delivery.ContentType,
            ["headers"] = headers,
            ["offset"] = delivery.Offset.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["partition"] = delivery.Partition,
            ["attempt"] = delivery.Attempt,
            ["failures"] = delivery.Failures,
            ["max_retries"] = delivery.MaxRetries,
            ["is_last_attempt"] = delivery.IsLastAttempt,
            ["published_at_ms"] = delivery.PublishedAt.ToUnixTimeMilliseconds(),
            ["received_at_ms"] = receivedAtMs,
        };
    }
}
