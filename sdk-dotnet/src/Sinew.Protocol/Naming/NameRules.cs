// The rule for topic, group, stream-cursor and producer-id names (specification section 7.1).
using System.Text;
using Sinew.Protocol.Framing;

namespace Sinew.Protocol.Naming;

/// <summary>Why a name is not valid. The wire names are shared with every Sinew implementation.</summary>
public enum NameProblem
{
    /// <summary>The name is empty.</summary>
    Empty,
    /// <summary>The string holds an unpaired surrogate, so it has no UTF-8 form.</summary>
    InvalidUnicode,
    /// <summary>Longer than the limit in UTF-8 bytes.</summary>
    TooLong,
    /// <summary>Exactly <c>.</c> or <c>..</c>.</summary>
    ReservedName,
    /// <summary>Starts with <c>$</c>, which is reserved for the broker.</summary>
    ReservedPrefix,
    /// <summary>Contains a control character.</summary>
    ControlCharacter,
    /// <summary>Contains whitespace or an invisible space.</summary>
    Whitespace,
    /// <summary>Contains one of <c>* &gt; ? # / \</c>.</summary>
    ReservedCharacter,
}

/// <summary>Validates names.</summary>
public static class NameRules
{
    /// <summary>Longest topic, group or cursor name, in UTF-8 bytes.</summary>
    public const int MaxNameBytes = ProtocolLimits.MaxNameBytes;

    /// <summary>Longest producer id, in UTF-8 bytes.</summary>
    public const int MaxProducerIdBytes = ProtocolLimits.MaxProducerIdBytes;

    /// <summary>Checks a name; null when it is valid.</summary>
    /// <param name="name">The name.</param>
    /// <param name="maxBytes">The length limit: <see cref="MaxNameBytes"/>, or <see cref="MaxProducerIdBytes"/> for producer ids.</param>
    /// <param name="allowReservedPrefix">True where a queue the broker owns, such as <c>$dead-letters</c>, may be named:
    /// the topic of a <c>Subscribe</c> or a <c>TopologyRequest</c> lookup. Every other check still applies.</param>
    public static NameProblem? Validate(string name, int maxBytes = MaxNameBytes, bool allowReservedPrefix = false)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (name.Length == 0)
        {
            return NameProblem.Empty;
        }

        if (!TextRules.TryUtf8Length(name, out var bytes))
        {
            return NameProblem.InvalidUnicode;
        }

        if (bytes > maxBytes)
        {
            return NameProblem.TooLong;
        }

        if (name is "." or "..")
        {
            return NameProblem.ReservedName;
        }

        if (name[0] == '$' && !allowReservedPrefix)
        {
            return NameProblem.ReservedPrefix;
        }

        foreach (var rune in name.EnumerateRunes())
        {
            if (TextRules.IsControl(rune))
            {
                return NameProblem.ControlCharacter;
            }

            if (IsWhitespace(rune))
            {
                return NameProblem.Whitespace;
            }

            if (rune.Value is '*' or '>' or '?' or '#' or '/' or '\\')
            {
                return NameProblem.ReservedCharacter;
            }
        }

        return null;
    }

    /// <summary>The snake_case name used by the specification and the vectors.</summary>
    public static string WireName(this NameProblem problem) => problem switch
    {
        NameProblem.Empty => "empty",
        NameProblem.InvalidUnicode => "invalid_unicode",
        NameProblem.TooLong => "too_long",
        NameProblem.ReservedName => "reserved_name",
        NameProblem.ReservedPrefix => "reserved_prefix",
        NameProblem.ControlCharacter => "control_character",
        NameProblem.Whitespace => "whitespace",
        NameProblem.ReservedCharacter => "reserved_character",
        _ => throw new ArgumentOutOfRangeException(nameof(problem), problem, null),
    };

    // Unicode White_Space outside the control range, plus the invisible U+200B and U+FEFF. Fixed here
    // rather than taken from the runtime's Unicode tables so that every implementation agrees.
    private static bool IsWhitespace(Rune rune) => rune.Value switch
    {
        0x0020 or 0x00A0 or 0x1680 or 0x2028 or 0x2029 or 0x202F or 0x205F or 0x3000 or 0x200B or 0xFEFF => true,
        >= 0x2000 and <= 0x200A => true,
        _ => false,
    };
}
