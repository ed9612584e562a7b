// Frame limits from the specification: sizes (section 2.3) and list lengths (section 2.4); the numbers come
// from the registry.
namespace Sinew.Protocol.Framing;

/// <summary>Frame size and list length limits.</summary>
public static class FrameLimits
{
    /// <summary>The limit before the handshake completes (64 KiB).</summary>
    public const int HandshakeMaxFrameBytes = ProtocolLimits.HandshakeMaxFrameBytes;

    /// <summary>The default limit after the handshake (16 MiB).</summary>
    public const int DefaultMaxFrameBytes = ProtocolLimits.DefaultMaxFrameBytes;

    /// <summary>Deepest nesting of arrays and maps accepted in a body. Version 1 bodies need four levels;
    /// the rest leaves room for appended fields while keeping a hostile body from exhausting the stack.</summary>
    public const int MaxNestingDepth = ProtocolLimits.MaxNestingDepth;

    /// <summary>The most entries in a list of one frame when <c>HelloOk</c> does not say (an older broker).</summary>
    public const int DefaultMaxListItems = ProtocolLimits.DefaultMaxListItems;

    /// <summary>The list length limit a peer announced in <paramref name="limits"/>: the default when absent, and
    /// at least 1, so a sender splitting a list always makes progress.</summary>
    public static int MaxListItems(Messages.Limits limits) =>
        (int)Math.Clamp(limits.MaxListItems ?? (uint)DefaultMaxListItems, 1u, (uint)int.MaxValue);
}
