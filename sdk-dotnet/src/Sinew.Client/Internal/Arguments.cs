// Checks made before anything is sent: names, groups, headers, content types and limits. Each failure
// is an InvalidArgumentException naming the argument as the caller writes it (a parameter in camelCase, a property
// in PascalCase) and the rule broken, in the vocabulary every Sinew client shares.
using System.Text;
using Sinew.Protocol.Naming;
using Sinew.Protocol.Timing;

namespace Sinew.Client.Internal;

internal static class Arguments
{
    public const int MaxContentTypeBytes = 255;
    public const int MaxSettlementReasonBytes = 1024;

    /// <summary>The argument header checks name: <see cref="OutgoingMessage.Headers"/>.</summary>
    private const string HeadersArgument = nameof(OutgoingMessage.Headers);

    /// <summary>Checks a topic, stream cursor or other name (protocol section 7.1).</summary>
    /// <param name="name">The name to check.</param>
    /// <param name="argument">The argument as the caller writes it, for <see cref="InvalidArgumentException.Argument"/>.</param>
    /// <param name="what">How messages call it, for example "topic" or "producer id".</param>
    /// <param name="maxBytes">The longest name allowed, in bytes of UTF-8.</param>
    /// <param name="allowReservedPrefix">Whether a name starting with <c>$</c> passes: only where a queue the broker
    /// owns may be named (see <see cref="SubscribeTopic"/>).</param>
    public static string Name(string? name, string argument, string what, int maxBytes = NameRules.MaxNameBytes, bool allowReservedPrefix = false)
    {
        if (name is null)
        {
            throw new InvalidArgumentException($"The {what} is missing (null); pass a name such as \"orders\".", argument, "wrong_type");
        }

        if (NameRules.Validate(name, maxBytes, allowReservedPrefix) is { } problem)
        {
            var prefixRule = allowReservedPrefix
                ? "and start with '$' only for a queue the broker owns, such as $dead-letters"
                : "and do not start with '$'";
            throw new InvalidArgumentException(
                $"The {what} {Quote(name)} is not a valid name: it {Describe(problem, maxBytes)}. " +
                $"Names are 1 to {maxBytes} bytes of UTF-8 without whitespace, control characters or * > ? # / \\, {prefixRule}.",
                argument, problem.WireName());
        }

        return name;
    }

    /// <summary>Checks a queue's topic, given as the <c>topic</c> parameter, for declaring and publishing: a
    /// <c>$</c> name is refused, since nobody declares or publishes to a queue the broker owns.</summary>
    public static string Topic(string? topic) => Name(topic, "topic", "topic");

    /// <summary>Checks the topic of a subscription. Unlike <see cref="Topic"/> it lets through a name starting with
    /// <c>$</c>, so that an application can consume a queue the broker owns, such as <c>$dead-letters</c>
    /// (protocol section 7.1, rule 5); the broker answers <c>not_found</c> for any other.</summary>
    public static string SubscribeTopic(string? topic) => Name(topic, "topic", "topic", allowReservedPrefix: true);

    /// <summary>Normalises a group (null, "" and "default" mean none) and checks what remains.</summary>
    public static string? Group(string? group, string argument = "Group")
    {
        var normalised = GroupNames.Normalise(group);
        return normalised is null ? null : Name(normalised, argument, "group");
    }

    public static string ProducerId(string producerId) => Name(producerId, "ProducerId", "producer id", NameRules.MaxProducerIdBytes);

    /// <summary>Checks user headers against the protocol's rules and the broker's header limit.</summary>
    public static void Headers(IReadOnlyDictionary<string, string>? headers, uint maxHeaders)
    {
        if (headers is null)
        {
            return;
        }

        if (headers.Count > maxHeaders)
        {
            throw new InvalidArgumentException(
                $"The message has {headers.Count} headers; the broker allows at most {maxHeaders}. Move data into the payload.",
                HeadersArgument, "too_many");
        }

        foreach (var (key, value) in headers)
        {
            HeaderKey(key);
            if (value is null)
            {
                throw new InvalidArgumentException($"The header {Quote(key)} has a null value; use an empty string instead.", HeadersArgument, "wrong_type");
            }

            var bytes = Utf8Length(value);
            if (bytes < 0)
            {
                throw new InvalidArgumentException($"The value of header {Quote(key)} contains an unpaired surrogate, which has no UTF-8 form.",
                    HeadersArgument, "invalid_unicode");
            }

            if (bytes > HeaderRules.MaxValueBytes)
            {
                throw new InvalidArgumentException(
                    $"The value of header {Quote(key)} is {bytes} bytes of UTF-8; the limit is {HeaderRules.MaxValueBytes}. Move large data into the payload.",
                    HeadersArgument, "too_long");
            }
        }
    }

    public static void HeaderKey(string key)
    {
        if (key is null)
        {
            throw new InvalidArgumentException("A header key is null.", HeadersArgument, "wrong_type");
        }

        if (HeaderRules.ValidateKey(key) is not { } problem)
        {
            return;
        }

        var text = problem switch
        {
            HeaderKeyProblem.Empty => "is empty",
            HeaderKeyProblem.InvalidUnicode => "contains an unpaired surrogate, which has no UTF-8 form",
            HeaderKeyProblem.TooLong => $"is longer than {HeaderRules.MaxKeyBytes} bytes of UTF-8",
            HeaderKeyProblem.ControlCharacter => "contains a control character",
            HeaderKeyProblem.ReservedPrefix =>
                $"starts with the reserved prefix '{HeaderRules.ReservedPrefix}' (compared ignoring case), which belongs to the broker; " +
                $"rename it, or use '{HeaderRules.ClientPrefix}' for client-library metadata",
            _ => problem.WireName(),
        };
        throw new InvalidArgumentException($"The header key {Quote(key)} {text}.", HeadersArgument, problem.WireName());
    }

    public static void ContentType(string? contentType)
    {
        if (contentType is null)
        {
            return;
        }

        var bytes = Utf8Length(contentType);
        if (bytes < 0)
        {
            throw new InvalidArgumentException("The content type contains an unpaired surrogate, which has no UTF-8 form.", nameof(OutgoingMessage.ContentType), "invalid_unicode");
        }

        if (bytes > MaxContentTypeBytes)
        {
            throw new InvalidArgumentException($"The content type is {bytes} bytes of UTF-8; the limit is {MaxContentTypeBytes}.", nameof(OutgoingMessage.ContentType), "too_long");
        }
    }

    public static void SettlementReason(string? reason)
    {
        if (reason is null)
        {
            return;
        }

        var bytes = Utf8Length(reason);
        if (bytes < 0)
        {
            throw new InvalidArgumentException("The settlement reason contains an unpaired surrogate, which has no UTF-8 form.", "reason", "invalid_unicode");
        }

        if (bytes > MaxSettlementReasonBytes)
        {
            throw new InvalidArgumentException($"The settlement reason is {bytes} bytes of UTF-8; the limit is {MaxSettlementReasonBytes}. Shorten it.", "reason", "too_long");
        }
    }

    /// <summary>Checks that a duration, when given, is longer than zero.</summary>
    /// <param name="value">The duration; null passes.</param>
    /// <param name="argument">The argument as the caller writes it.</param>
    /// <param name="what">How messages call it, for example "lease extension".</param>
    public static void Positive(TimeSpan? value, string argument, string what)
    {
        if (value is { } v && v <= TimeSpan.Zero)
        {
            throw new InvalidArgumentException($"The {what} must be positive, not {v}.", argument, "out_of_range");
        }
    }

    /// <summary>Checks that a duration, when given, is not negative.</summary>
    /// <inheritdoc cref="Positive" path="/param"/>
    public static void NotNegative(TimeSpan? value, string argument, string what)
    {
        if (value is { } v && v < TimeSpan.Zero)
        {
            throw new InvalidArgumentException($"The {what} cannot be negative ({v}).", argument, "out_of_range");
        }
    }

    /// <summary>Checks that a duration, when given, fits the range of the wire field it is sent in (protocol
    /// section 7.4) once rounded up to whole milliseconds: a TTL of at most 3650 days, a lease of 100 ms to 12 h.</summary>
    /// <param name="value">The duration; null passes. Call <see cref="Positive"/> or <see cref="NotNegative"/> first.</param>
    /// <param name="field">The wire field it is sent in.</param>
    /// <param name="argument">The argument as the caller writes it.</param>
    /// <param name="what">How messages call it, for example "TTL".</param>
    public static void InRange(TimeSpan? value, DurationField field, string argument, string what)
    {
        if (value is not { } v)
        {
            return;
        }

        var milliseconds = Durations.ToMilliseconds(v);
        if (milliseconds > field.Max())
        {
            throw new InvalidArgumentException(
                $"The {what} of {Durations.Describe(v)} is longer than the protocol allows; the longest is {Durations.Describe(field.Max())}.",
                argument, "out_of_range");
        }

        if (milliseconds < field.Min())
        {
            throw new InvalidArgumentException(
                $"The {what} of {Durations.Describe(v)} is shorter than the protocol allows; the shortest is {Durations.Describe(field.Min())}.",
                argument, "out_of_range");
        }
    }

    /// <summary>Checks that a not-before time is no earlier than 1970 and no further ahead of this machine's clock
    /// than the longest delay (3650 days).</summary>
    public static void NotBefore(DateTimeOffset notBefore, DurationField field, string argument)
    {
        if (notBefore < DateTimeOffset.UnixEpoch)
        {
            throw new InvalidArgumentException($"{argument} ({notBefore:o}) is before 1970; use a later time or a Delay.", argument, "out_of_range");
        }

        if (!DurationRules.IsValid(field, Durations.ToUnixMilliseconds(notBefore), DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()))
        {
            throw new InvalidArgumentException(
                $"{argument} ({notBefore:o}) is more than {Durations.Describe(field.Max())} ahead, the longest delay the protocol allows.",
                argument, "out_of_range");
        }
    }

    /// <summary>The UTF-8 length of a string, or -1 when it holds an unpaired surrogate.</summary>
    public static int Utf8Length(string value)
    {
        var bytes = 0;
        var span = value.AsSpan();
        while (!span.IsEmpty)
        {
            if (Rune.DecodeFromUtf16(span, out var rune, out var consumed) != System.Buffers.OperationStatus.Done)
            {
                return -1;
            }

            bytes += rune.Utf8SequenceLength;
            span = span[consumed..];
        }

        return bytes;
    }

    /// <summary>A name in quotes, shortened and with control characters escaped so a message stays readable.</summary>
    public static string Quote(string value)
    {
        var builder = new StringBuilder(Math.Min(value.Length, 64) + 2).Append('"');
        foreach (var c in value.Length > 64 ? value[..64] : value)
        {
            if (char.IsControl(c))
            {
                builder.Append($"\\u{(int)c:x4}");
            }
            else
            {
                builder.Append(c);
            }
        }

        return builder.Append(value.Length > 64 ? "…\"" : "\"").ToString();
    }

    private static string Describe(NameProblem problem, int maxBytes) => problem switch
    {
        NameProblem.Empty => "is empty",
        NameProblem.InvalidUnicode => "contains an unpaired surrogate, which has no UTF-8 form",
        NameProblem.TooLong => $"is longer than {maxBytes} bytes of UTF-8",
        NameProblem.ReservedName => "is '.' or '..', which are reserved",
        NameProblem.ReservedPrefix => "starts with '$', which is reserved for the broker",
        NameProblem.ControlCharacter => "contains a control character",
        NameProblem.Whitespace => "contains whitespace",
        NameProblem.ReservedCharacter => "contains one of * > ? # / \\, which are reserved for patterns and paths",
        _ => problem.WireName(),
    };
}
