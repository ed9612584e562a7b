// Why a frame failed to decode. The names are shared with the other codecs and the wire vectors.
namespace Sinew.Protocol.Framing;

/// <summary>The kinds of decode failure, in the order a decoder checks for them
/// (see the protocol specification, section 6).</summary>
public enum DecodeErrorKind
{
    /// <summary>Fewer than 16 bytes where a header was expected.</summary>
    TruncatedHeader,
    /// <summary>The first two bytes are not <c>SN</c>.</summary>
    BadMagic,
    /// <summary>The header's version is not supported.</summary>
    UnsupportedVersion,
    /// <summary>The body length exceeds the receiver's limit.</summary>
    FrameTooLarge,
    /// <summary>The input ended before the whole body arrived.</summary>
    TruncatedBody,
    /// <summary>The opcode is not defined in this version.</summary>
    UnknownOpcode,
    /// <summary>Non-zero reserved bytes, an undefined flag, or a flag not allowed on the op.</summary>
    BadFlags,
    /// <summary>The body is not exactly one well-formed MessagePack value.</summary>
    MalformedBody,
    /// <summary>Bytes remain in the body after its value.</summary>
    TrailingBytes,
    /// <summary>A value has the wrong MessagePack type, or an integer is negative or out of range.</summary>
    WrongType,
    /// <summary>A required field, or a list element, is absent or nil.</summary>
    MissingField,
    /// <summary>An unknown enum value, invalid UTF-8, or a malformed string map.</summary>
    InvalidValue,
}

/// <summary>Wire names of <see cref="DecodeErrorKind"/> values and the error code a broker answers with.</summary>
public static class DecodeErrorKinds
{
    /// <summary>The snake_case name used by the specification and the wire vectors.</summary>
    public static string WireName(this DecodeErrorKind kind) => kind switch
    {
        DecodeErrorKind.TruncatedHeader => "truncated_header",
        DecodeErrorKind.BadMagic => "bad_magic",
        DecodeErrorKind.UnsupportedVersion => "unsupported_version",
        DecodeErrorKind.FrameTooLarge => "frame_too_large",
        DecodeErrorKind.TruncatedBody => "truncated_body",
        DecodeErrorKind.UnknownOpcode => "unknown_opcode",
        DecodeErrorKind.BadFlags => "bad_flags",
        DecodeErrorKind.MalformedBody => "malformed_body",
        DecodeErrorKind.TrailingBytes => "trailing_bytes",
        DecodeErrorKind.WrongType => "wrong_type",
        DecodeErrorKind.MissingField => "missing_field",
        DecodeErrorKind.InvalidValue => "invalid_value",
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
    };

    /// <summary>The error code a broker sends when a client's frame fails this way.</summary>
    public static Errors.ErrorCode ErrorCode(this DecodeErrorKind kind) => kind switch
    {
        DecodeErrorKind.UnsupportedVersion => Errors.ErrorCode.ProtocolMismatch,
        DecodeErrorKind.FrameTooLarge => Errors.ErrorCode.FrameTooLarge,
        DecodeErrorKind.UnknownOpcode => Errors.ErrorCode.UnknownOp,
        _ => Errors.ErrorCode.BadFrame,
    };
}
