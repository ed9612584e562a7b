// Header flag bits. Only bits defined here may be set, and only on the ops that allow them.
namespace Sinew.Protocol.Framing;

/// <summary>The header's flag bits.</summary>
[Flags]
public enum FrameFlags : ushort
{
    /// <summary>No flag.</summary>
    None = 0,

    /// <summary>On <see cref="Opcode.Publish"/> and <see cref="Opcode.PublishBatch"/>: answer with a
    /// PublishOk once every message of the frame is durable.</summary>
    Confirm = 0x0001,
}

/// <summary>Which flags each op may carry.</summary>
public static class FrameFlagRules
{
    /// <summary>Every defined flag bit.</summary>
    public const FrameFlags Defined = FrameFlags.Confirm;

    /// <summary>The flags an op may carry; any other set bit is a <see cref="DecodeErrorKind.BadFlags"/> error.</summary>
    public static FrameFlags AllowedOn(Opcode opcode) => opcode switch
    {
        Opcode.Publish or Opcode.PublishBatch => FrameFlags.Confirm,
        _ => FrameFlags.None,
    };
}
