// Checks made before anything is sent: names, groups, headers, content types and limits. Each failure
// is an InvalidArgumentException naming the field and, where the protocol has one, the rule's name.
using System.Text;
using Sinew.Protocol.Naming;

namespace Sinew.Client.Internal;

internal static class Arguments
{
    public const int MaxContentTypeBytes = 255;
    public const int MaxNackReasonBytes = 1024;

    /// <summary>Checks a topic, stream cursor or other name (protocol section 7.1).</summary>
    public static string Name(string? name, string field, int maxBytes = NameRules.MaxNameBytes)
    {
        if (name is null)
        {
            throw new InvalidArgumentException($"The {field} is missing; pass a name such as \"orders\".", field, "empty");
        }

        if (NameRules.Validate(name, maxBytes) is { } problem)
        {
            throw new InvalidArgumentException(
                $"The {field} {Quote(name)} is not a valid name: it {Describe(problem, maxBytes)}. " +
                $"Names are 1 to {maxBytes} bytes of UTF-8 without whitespace, control characters or * > ? # / \\, and do not start with '$'.",
                field, problem.WireName());
        }

        return name;
    }

    /// <summary>Normalises a group (null, "" and "default" mean none) and checks what remains.</summary>
    public static string? Group(string? group, string field = "group")
    {
        var normalised = GroupNames.Normalise(group);
        return normalised is null ? null : Name(normalised, field);
    }

    public static string ProducerId(string producerId) => Name(producerId, "producer id", NameRules.MaxProducerIdBytes);

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
                "headers", "too_many");
        }

        foreach (var (key, value) in headers)
        {
            HeaderKey(key);
            if (value is null)
            {
                throw new InvalidArgumentException($"The header {Quote(key)} has a null value; use an empty string instead.", "headers", "missing_value");
            }

            var bytes = Utf8Length(value);
            if (bytes < 0)
            {
                throw new InvalidArgumentException($"The value of header {Quote(key)} contains an unpaired surrogate, which has no UTF-8 form.",
                    "headers", "invalid_unicode");
            }

            if (bytes > HeaderRules.MaxValueBytes)
            {
                throw new InvalidArgumentException(
                    $"The value of header {Quote(key)} is {bytes} bytes of UTF-8; the limit is {HeaderRules.MaxValueBytes}. Move large data into the payload.",
                    "headers", "too_long");
            }
        }
    }

    public static void HeaderKey(string key)
    {
        if (key is null)
        {
            throw new InvalidArgumentException("A header key is null.", "headers", "empty");
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
        throw new InvalidArgumentException($"The header key {Quote(key)} {text}.", "headers", problem.WireName());
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
            throw new InvalidArgumentException("The content type contains an unpaired surrogate, which has no UTF-8 form.", "content_type", "invalid_unicode");
        }

        if (bytes > MaxContentTypeBytes)
        {
            throw new InvalidArgumentException($"The content type is {bytes} bytes of UTF-8; the limit is {MaxContentTypeBytes}.", "content_type", "too_long");
        }
    }

    public static void NackReason(string? reason)
    {
        if (reason is null)
        {
            return;
        }

        var bytes = Utf8Length(reason);
        if (bytes < 0)
        {
            throw new InvalidArgumentException("The nack reason contains an unpaired surrogate, which has no UTF-8 form.", "reason", "invalid_unicode");
        }

        if (bytes > MaxNackReasonBytes)
        {
            throw new InvalidArgumentException($"The nack reason is {bytes} bytes of UTF-8; the limit is {MaxNackReasonBytes}. Shorten it.", "reason", "too_long");
        }
    }

    public static void Positive(TimeSpan? value, string field)
    {
        if (value is { } v && v <= TimeSpan.Zero)
        {
            throw new InvalidArgumentException($"The {field} must be positive, not {v}.", field, "out_of_range");
        }
    }

    public static void NotNegative(TimeSpan? value, string field)
    {
        if (value is { } v && v < TimeSpan.Zero)
        {
            throw new InvalidArgumentException($"The {field} cannot be negative ({v}).", field, "out_of_range");
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
