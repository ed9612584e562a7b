// One message as a partition hands it to a consumer's session. Built under the partition's lock without
// copying the body; the session turns it into the wire's DeliveredMessage when it writes the Deliver frame,
// outside that lock.
using Sinew.Broker.Storage;

namespace Sinew.Broker.Queues;

/// <summary>A delivery of one message to one subscription.</summary>
/// <param name="DeliveryId">Session-unique id the consumer settles it by.</param>
/// <param name="Partition">The partition it comes from.</param>
/// <param name="Offset">Its offset in that partition.</param>
/// <param name="Attempt">1 on the first delivery, one more on each redelivery.</param>
/// <param name="Failures">Its failures so far (specification section 8.5).</param>
/// <param name="MaxRetries">Its queue's retry budget: the failure that takes <paramref name="Failures"/> past it dead-letters it.</param>
/// <param name="PublishedAtMs">When the broker stored it (unix ms).</param>
/// <param name="Body">Payload, content type and headers.</param>
internal readonly record struct Delivery(long DeliveryId, uint Partition, long Offset, int Attempt, int Failures, uint MaxRetries, long PublishedAtMs,
    MessageBody Body);
