// When a subscription's deliveries count as settled.
namespace Sinew.Broker.Queues;

internal enum AckPolicy : byte
{
    /// <summary>The consumer acks, nacks or lets the lease expire.</summary>
    Manual,

    /// <summary>Settled once the delivery has been written to the socket.</summary>
    Auto,
}
