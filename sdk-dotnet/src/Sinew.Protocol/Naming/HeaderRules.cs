// User header keys: length, characters and the reserved sinew. prefix (specification section 7.3).
using System.Text;
using Sinew.Protocol.Framing;

namespace Sinew.Protocol.Naming;

/// <summary>Why a header key may not be used.</summary>
public enum HeaderKeyProblem
{
    /// <summary>The key is empty.</summary>
    Empty,
    /// <summary>The string holds an unpaired surrogate.</summary>
    InvalidUnicode,
    /// <summary>Longer than 128 UTF-8 bytes.</summary>
    TooLong,
    /// <summary>Contains a control character.</summary>
    ControlCharacter,
    /// <summary>Starts with the reserved <c>sinew.</c> prefix (other than <c>sinew.client.</c>).</summary>
    ReservedPrefix,
}

/// <summary>Validates user header keys.</summary>
public static class HeaderRules
{
    /// <summary>The prefix reserved for broker metadata, matched ignoring ASCII case.</summary>
    public const string ReservedPrefix = "sinew.";

    /// <summary>The part of the reserved space left to client libraries.</summary>
    public const string ClientPrefix = "sinew.client.";

    /// <summary>Longest key, in UTF-8 bytes.</summary>
    public const int MaxKeyBytes = ProtocolLimits.MaxHeaderKeyBytes;

    /// <summary>Longest value, in UTF-8 bytes.</summary>
    public const int MaxValueBytes = ProtocolLimits.MaxHeaderValueBytes;

    /// <summary>Checks a key; null when a user may set it.</summary>
    public static HeaderKeyProblem? ValidateKey(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (key.Length == 0)
        {
            return HeaderKeyProblem.Empty;
        }

        if (!TextRules.TryUtf8Length(key, out var bytes))
        {
            return HeaderKeyProblem.InvalidUnicode;
        }

        if (bytes > MaxKeyBytes)
        {
            return HeaderKeyProblem.TooLong;
        }

        foreach (var rune in key.EnumerateRunes())
        {
            if (TextRules.IsControl(rune))
            {
                return HeaderKeyProblem.ControlCharacter;
            }
        }

        return IsReserved(key) ? HeaderKeyProblem.ReservedPrefix : null;
    }

    /// <summary>Whether a key is in the broker's reserved space.</summary>
    public static bool IsReserved(string key) =>
        key.StartsWith(ReservedPrefix, StringComparison.OrdinalIgnoreCase)
        && !key.StartsWith(ClientPrefix, StringComparison.OrdinalIgnoreCase);

    /// <summary>The snake_case name used by the specification and the vectors.</summary>
    public static string WireName(this HeaderKeyProblem problem) => problem switch
    {
        HeaderKeyProblem.Empty => "empty",
        HeaderKeyProblem.InvalidUnicode => "invalid_unicode",
        HeaderKeyProblem.TooLong => "too_long",
        HeaderKeyProblem.ControlCharacter => "control_character",
        HeaderKeyProblem.ReservedPrefix => "reserved_prefix",
        _ => throw new ArgumentOutOfRangeException(nameof(problem), problem, null),
    };
}
