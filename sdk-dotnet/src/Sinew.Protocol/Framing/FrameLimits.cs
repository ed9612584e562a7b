// Frame size limits from the specification (section 2.3); the numbers come from the registry.
namespace Sinew.Protocol.Framing;

/// <summary>Frame size limits.</summary>
public static class FrameLimits
{
    /// <summary>The limit before the handshake completes (64 KiB).</summary>
    public const int HandshakeMaxFrameBytes = ProtocolLimits.HandshakeMaxFrameBytes;

    /// <summary>The default limit after the handshake (16 MiB).</summary>
    public const int DefaultMaxFrameBytes = ProtocolLimits.DefaultMaxFrameBytes;

    /// <summary>Deepest nesting of arrays and maps accepted in a body. Version 1 bodies need four levels;
    /// the rest leaves room for appended fields while keeping a hostile body from exhausting the stack.</summary>
    public const int MaxNestingDepth = ProtocolLimits.MaxNestingDepth;
}
