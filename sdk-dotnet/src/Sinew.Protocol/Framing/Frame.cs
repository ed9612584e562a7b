// A decoded frame: its header and its typed message.
using Sinew.Protocol.Messages;

namespace Sinew.Protocol.Framing;

/// <summary>A decoded frame.</summary>
/// <param name="Header">The frame header.</param>
/// <param name="Message">The decoded body.</param>
public readonly record struct Frame(FrameHeader Header, IWireMessage Message);
