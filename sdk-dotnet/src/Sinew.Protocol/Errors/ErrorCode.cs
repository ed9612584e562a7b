// The error codes of protocol v1 and what each one means for a client. Numbers are part of the
// wire format: append only, never reuse.
namespace Sinew.Protocol.Errors;

/// <summary>Stable error codes carried in an <see cref="Messages.Error"/> frame.</summary>
public enum ErrorCode : ushort
{
    /// <summary>The frame could not be decoded.</summary>
    BadFrame = 1,
    /// <summary>No protocol version in common, or a frame in another version than negotiated.</summary>
    ProtocolMismatch = 2,
    /// <summary>A well-formed frame where the protocol forbids it.</summary>
    ProtocolViolation = 3,
    /// <summary>The frame body exceeds the limit.</summary>
    FrameTooLarge = 4,
    /// <summary>The broker does not know the opcode.</summary>
    UnknownOp = 5,
    /// <summary>Authentication required or rejected.</summary>
    Unauthorized = 6,
    /// <summary>An invalid argument.</summary>
    Invalid = 7,
    /// <summary>The queue, stream, subscription or partition does not exist.</summary>
    NotFound = 8,
    /// <summary>The request conflicts with existing state.</summary>
    Conflict = 9,
    /// <summary>The delivery is no longer held by this session.</summary>
    StaleDelivery = 10,
    /// <summary>Stale routing or another owner; refresh the topology and retry.</summary>
    Redirect = 11,
    /// <summary>A limit was reached; retry with backoff.</summary>
    ResourceExhausted = 12,
    /// <summary>Temporarily unable to serve; retry with backoff.</summary>
    Unavailable = 13,
    /// <summary>The partition is parked until an operator repairs it.</summary>
    Quarantined = 14,
    /// <summary>The broker gave up waiting before completing.</summary>
    Timeout = 15,
    /// <summary>An unexpected broker failure.</summary>
    Internal = 16,
}

/// <summary>The fixed properties of one error code.</summary>
/// <param name="Code">The code.</param>
/// <param name="Name">Its stable snake_case name.</param>
/// <param name="Retryable">Whether brokers mark it retryable.</param>
/// <param name="ClosesConnection">Whether the broker closes the connection after sending it.</param>
public sealed record ErrorCodeInfo(ErrorCode Code, string Name, bool Retryable, bool ClosesConnection);

/// <summary>The table of error codes (specification section 5.2).</summary>
public static class ErrorCodes
{
    private static readonly ErrorCodeInfo[] Table =
    [
        new(ErrorCode.BadFrame, "bad_frame", false, true),
        new(ErrorCode.ProtocolMismatch, "protocol_mismatch", false, true),
        new(ErrorCode.ProtocolViolation, "protocol_violation", false, true),
        new(ErrorCode.FrameTooLarge, "frame_too_large", false, true),
        new(ErrorCode.UnknownOp, "unknown_op", false, false),
        new(ErrorCode.Unauthorized, "unauthorized", false, true),
        new(ErrorCode.Invalid, "invalid", false, false),
        new(ErrorCode.NotFound, "not_found", false, false),
        new(ErrorCode.Conflict, "conflict", false, false),
        new(ErrorCode.StaleDelivery, "stale_delivery", false, false),
        new(ErrorCode.Redirect, "redirect", true, false),
        new(ErrorCode.ResourceExhausted, "resource_exhausted", true, false),
        new(ErrorCode.Unavailable, "unavailable", true, false),
        new(ErrorCode.Quarantined, "quarantined", false, false),
        new(ErrorCode.Timeout, "timeout", true, false),
        new(ErrorCode.Internal, "internal", false, false),
    ];

    /// <summary>Every defined code, in numeric order.</summary>
    public static IReadOnlyList<ErrorCodeInfo> All => Table;

    /// <summary>Looks up a code received on the wire; false for codes this version does not know.</summary>
    public static bool TryGet(ushort code, out ErrorCodeInfo info)
    {
        if (code >= 1 && code <= Table.Length)
        {
            info = Table[code - 1];
            return true;
        }

        info = null!;
        return false;
    }

    /// <summary>The properties of a defined code.</summary>
    public static ErrorCodeInfo Get(ErrorCode code) =>
        TryGet((ushort)code, out var info) ? info : throw new ArgumentOutOfRangeException(nameof(code), code, "not a defined error code");

    /// <summary>The stable name of a code, or <c>unknown(N)</c> for one this version does not define.</summary>
    public static string NameOf(ushort code) => TryGet(code, out var info) ? info.Name : $"unknown({code})";
}
