// The common shape of every decoded frame body.
namespace Sinew.Protocol.Messages;

/// <summary>A typed frame body. Each op of the protocol has one implementation, named after the op.</summary>
public interface IWireMessage
{
    /// <summary>The op this message is sent as.</summary>
    Framing.Opcode Opcode { get; }
}
