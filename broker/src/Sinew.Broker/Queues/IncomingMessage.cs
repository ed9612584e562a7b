// A message as a publisher hands it to a queue: its body, where it may go, when it may be delivered and
// until when, and its idempotency key. The network edge builds it from the wire's PublishMessage, sharing
// the payload and header map rather than copying them; dead-lettering builds one for each copy it moves.
using Sinew.Broker.Storage;

namespace Sinew.Broker.Queues;

/// <summary>A message to publish. Times are as the publisher gave them; the queue resolves them against its
/// clock and its default TTL.</summary>
/// <param name="Body">Payload, content type and headers.</param>
/// <param name="PartitionKey">Routes the message to the partition its hash picks.</param>
/// <param name="Partition">The partition the publisher routed to.</param>
/// <param name="NotBeforeMs">Not deliverable before this unix-ms time.</param>
/// <param name="DelayMs">Not deliverable until this long after it is published.</param>
/// <param name="TtlMs">Expires this long after it is published; absent for the queue's default.</param>
/// <param name="ProducerId">Idempotency key: the producer (absent for none).</param>
/// <param name="Sequence">Idempotency key: the producer's sequence number.</param>
internal readonly record struct IncomingMessage(
    MessageBody Body,
    ReadOnlyMemory<byte>? PartitionKey = null,
    uint? Partition = null,
    ulong? NotBeforeMs = null,
    ulong? DelayMs = null,
    ulong? TtlMs = null,
    string? ProducerId = null,
    ulong Sequence = 0);
