// A message to publish: payload, content type, headers, partition key, delay and time to live.
using System.Diagnostics.CodeAnalysis;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using MessagePack;
using Sinew.Client.Internal;

namespace Sinew.Client;

/// <summary>A message to publish. Build one with a payload helper — <see cref="FromBytes"/>,
/// <see cref="FromText"/>, <see cref="FromJson{T}(T, JsonSerializerOptions?)"/>,
/// <see cref="FromMessagePack{T}"/> — then refine it with <c>with { … }</c> or the <c>With…</c> helpers.</summary>
/// <remarks>Checked before sending: header keys may not start with the reserved <c>sinew.</c> prefix (except
/// <c>sinew.client.</c>), keys are 1–128 bytes and values at most 4096 bytes of UTF-8, the content type at most
/// 255 bytes, at most the broker's <c>max_headers</c> headers, <see cref="Delay"/> and
/// <see cref="NotBefore"/> are not both set, and the durations are in the protocol's ranges: <see cref="Ttl"/> and
/// <see cref="Delay"/> at most 3650 days, <see cref="NotBefore"/> at most 3650 days ahead.</remarks>
public sealed record OutgoingMessage
{
    /// <summary>The content type of <see cref="FromText"/>: <c>text/plain; charset=utf-8</c>.</summary>
    public const string TextContentType = "text/plain; charset=utf-8";

    /// <summary>The content type of <see cref="FromJson{T}(T, JsonSerializerOptions?)"/>: <c>application/json</c>.</summary>
    public const string JsonContentType = "application/json";

    /// <summary>The content type of <see cref="FromMessagePack{T}"/>: <c>application/msgpack</c>.</summary>
    public const string MessagePackContentType = "application/msgpack";

    /// <summary>An empty message; set <see cref="Payload"/> with an initializer.</summary>
    public OutgoingMessage()
    {
    }

    /// <summary>A message with this payload and no content type.</summary>
    public OutgoingMessage(ReadOnlyMemory<byte> payload)
    {
        Payload = payload;
    }

    /// <summary>The body, opaque to the broker. The client does not copy it: do not change the bytes until the
    /// publish call has returned.</summary>
    public ReadOnlyMemory<byte> Payload { get; init; }

    /// <summary>The payload's content type, for example <c>application/json</c> (default: none).</summary>
    public string? ContentType { get; init; }

    /// <summary>User headers (default: none). Keys starting with <c>sinew.</c> are reserved, except <c>sinew.client.</c>.</summary>
    public IReadOnlyDictionary<string, string>? Headers { get; init; }

    /// <summary>The partition key: messages with the same key go to the same partition and keep their order.
    /// Text keys are their UTF-8 bytes (see <see cref="WithKey(string)"/>). Without a key, a publisher spreads
    /// messages round-robin over the partitions (default: none).</summary>
    public ReadOnlyMemory<byte>? Key { get; init; }

    /// <summary>Deliver no earlier than this long after the broker receives the message, at most 3650 days
    /// (default: none). Exclusive with <see cref="NotBefore"/>.</summary>
    public TimeSpan? Delay { get; init; }

    /// <summary>Deliver no earlier than this time, at most 3650 days ahead (default: none). Exclusive with
    /// <see cref="Delay"/>, which is robust to clock differences between client and broker.</summary>
    public DateTimeOffset? NotBefore { get; init; }

    /// <summary>Expire this long after the broker receives the message, unless delivered and unsettled by then;
    /// 1 ms to 3650 days (default: none; the queue's default TTL applies).</summary>
    public TimeSpan? Ttl { get; init; }

    /// <summary>A message carrying raw bytes, with an optional content type.</summary>
    public static OutgoingMessage FromBytes(ReadOnlyMemory<byte> payload, string? contentType = null) =>
        new(payload) { ContentType = contentType };

    /// <summary>A text message: UTF-8, content type <c>text/plain; charset=utf-8</c>.</summary>
    /// <exception cref="InvalidArgumentException">The text holds an unpaired surrogate, which has no UTF-8 form
    /// (reason <c>invalid_unicode</c>).</exception>
    public static OutgoingMessage FromText(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return new OutgoingMessage(Utf8(text, nameof(Payload), "text")) { ContentType = TextContentType };
    }

    /// <summary>A JSON message serialized with System.Text.Json, content type <c>application/json</c>. Without
    /// options, the web defaults apply (camelCase property names).</summary>
    /// <exception cref="InvalidArgumentException">The value cannot be written as JSON (reason <c>not_json</c>).</exception>
    [RequiresUnreferencedCode("JSON serialization of arbitrary types may need types that trimming removes; pass a JsonTypeInfo<T> instead.")]
    [RequiresDynamicCode("JSON serialization of arbitrary types may need runtime code generation; pass a JsonTypeInfo<T> instead.")]
    public static OutgoingMessage FromJson<T>(T value, JsonSerializerOptions? options = null) =>
        new(Json(() => JsonSerializer.SerializeToUtf8Bytes(value, options ?? Payloads.JsonOptions))) { ContentType = JsonContentType };

    /// <summary>A JSON message serialized with source-generated metadata, content type <c>application/json</c>.</summary>
    /// <exception cref="InvalidArgumentException">The value cannot be written as JSON (reason <c>not_json</c>).</exception>
    public static OutgoingMessage FromJson<T>(T value, JsonTypeInfo<T> typeInfo) =>
        new(Json(() => JsonSerializer.SerializeToUtf8Bytes(value, typeInfo))) { ContentType = JsonContentType };

    /// <summary>A MessagePack message, content type <c>application/msgpack</c>. Without options,
    /// <see cref="MessagePackSerializer.DefaultOptions"/> apply.</summary>
    /// <exception cref="InvalidArgumentException">The value cannot be written as MessagePack (reason
    /// <c>not_msgpack</c>).</exception>
    public static OutgoingMessage FromMessagePack<T>(T value, MessagePackSerializerOptions? options = null)
    {
        byte[] payload;
        try
        {
            payload = MessagePackSerializer.Serialize(value, options);
        }
        catch (MessagePackSerializationException e)
        {
            throw new InvalidArgumentException($"The value cannot be written as MessagePack: {e.Message}", nameof(Payload), "not_msgpack", e);
        }

        return new OutgoingMessage(payload) { ContentType = MessagePackContentType };
    }

    /// <summary>A copy with a text partition key (hashed as its UTF-8 bytes).</summary>
    /// <exception cref="InvalidArgumentException">The key holds an unpaired surrogate, which has no UTF-8 form
    /// (reason <c>invalid_unicode</c>).</exception>
    public OutgoingMessage WithKey(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return this with { Key = Utf8(key, nameof(key), "key") };
    }

    /// <summary>A copy with a binary partition key.</summary>
    public OutgoingMessage WithKey(ReadOnlyMemory<byte> key) => this with { Key = key };

    /// <summary>A copy with one more header (replacing a header of the same key).</summary>
    public OutgoingMessage WithHeader(string key, string value)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(value);
        var headers = Headers is null
            ? new Dictionary<string, string>(StringComparer.Ordinal)
            : new Dictionary<string, string>(Headers, StringComparer.Ordinal);
        headers[key] = value;
        return this with { Headers = headers };
    }

    /// <summary>A copy delivered no earlier than <paramref name="delay"/> after the broker receives it.</summary>
    public OutgoingMessage WithDelay(TimeSpan delay) => this with { Delay = delay, NotBefore = null };

    /// <summary>A copy delivered no earlier than <paramref name="notBefore"/>.</summary>
    public OutgoingMessage WithNotBefore(DateTimeOffset notBefore) => this with { NotBefore = notBefore, Delay = null };

    /// <summary>A copy that expires <paramref name="ttl"/> after the broker receives it.</summary>
    public OutgoingMessage WithTtl(TimeSpan ttl) => this with { Ttl = ttl };

    // Encoding.UTF8 would quietly turn an unpaired surrogate into U+FFFD; the other Sinew clients refuse such text, so
    // this one does too rather than send something the caller did not write.
    private static byte[] Utf8(string text, string argument, string what)
    {
        if (Arguments.Utf8Length(text) < 0)
        {
            throw new InvalidArgumentException($"The {what} contains an unpaired surrogate, which has no UTF-8 form.", argument, "invalid_unicode");
        }

        return Encoding.UTF8.GetBytes(text);
    }

    private static byte[] Json(Func<byte[]> serialize)
    {
        try
        {
            return serialize();
        }
        catch (Exception e) when (e is JsonException or NotSupportedException or InvalidOperationException)
        {
            throw new InvalidArgumentException($"The value cannot be written as JSON: {e.Message}", nameof(Payload), "not_json", e);
        }
    }
}
