// The opcodes of protocol v1. Numbers are part of the wire format: append only, never reuse.
namespace Sinew.Protocol.Framing;

/// <summary>What a frame is. The numbers are fixed by the protocol specification.</summary>
/// <remarks>A header may carry a value that is not defined here; such a frame fails decoding with
/// <see cref="DecodeErrorKind.UnknownOpcode"/> after its body has been read, so a reader can skip it.</remarks>
public enum Opcode : byte
{
    /// <summary>Client opens a session.</summary>
    Hello = 0x01,
    /// <summary>Broker accepts a session.</summary>
    HelloOk = 0x02,
    /// <summary>Heartbeat probe (either side).</summary>
    Ping = 0x03,
    /// <summary>Heartbeat answer (either side).</summary>
    Pong = 0x04,
    /// <summary>Client closes the session cleanly.</summary>
    Goodbye = 0x05,
    /// <summary>Broker drain notice.</summary>
    GoingAway = 0x06,
    /// <summary>Generic success reply.</summary>
    Ok = 0x07,
    /// <summary>Failure reply or notice.</summary>
    Error = 0x08,
    /// <summary>Create or confirm a queue.</summary>
    DeclareQueue = 0x10,
    /// <summary>Effective queue settings.</summary>
    DeclareQueueOk = 0x11,
    /// <summary>Create or confirm a stream.</summary>
    DeclareStream = 0x12,
    /// <summary>Effective stream settings.</summary>
    DeclareStreamOk = 0x13,
    /// <summary>Publish one message.</summary>
    Publish = 0x20,
    /// <summary>Publish several messages to one queue.</summary>
    PublishBatch = 0x21,
    /// <summary>Publish confirmation.</summary>
    PublishOk = 0x22,
    /// <summary>Attach a consumer to a queue.</summary>
    Subscribe = 0x30,
    /// <summary>Attach a reader to a stream.</summary>
    SubscribeStream = 0x31,
    /// <summary>Subscription accepted.</summary>
    SubscribeOk = 0x32,
    /// <summary>End a subscription.</summary>
    Unsubscribe = 0x33,
    /// <summary>Messages pushed to a subscription.</summary>
    Deliver = 0x34,
    /// <summary>Broker ended a subscription.</summary>
    SubscriptionClosed = 0x35,
    /// <summary>Consumer-group partitions changed.</summary>
    AssignmentChanged = 0x36,
    /// <summary>Settle deliveries as done.</summary>
    Ack = 0x40,
    /// <summary>Fail, retry or delay deliveries.</summary>
    Nack = 0x41,
    /// <summary>Extend delivery leases.</summary>
    ExtendLease = 0x42,
    /// <summary>Settlement result.</summary>
    SettleOk = 0x43,
    /// <summary>Ask for the catalogue.</summary>
    TopologyRequest = 0x50,
    /// <summary>The catalogue (reply or push).</summary>
    Topology = 0x51,
    /// <summary>Client applied a pushed catalogue.</summary>
    TopologyAck = 0x52,
    /// <summary>List subscriptions after a resume.</summary>
    Reconcile = 0x53,
    /// <summary>Verdict on each listed subscription.</summary>
    ReconcileOk = 0x54,
}
