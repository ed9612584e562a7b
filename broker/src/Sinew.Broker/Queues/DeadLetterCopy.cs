// A dead letter on its way: the original's entry in its source partition, which stays there out of delivery until
// the copy is durable in the target, and the copy as it is published there.
namespace Sinew.Broker.Queues;

/// <summary>A dead letter being moved to its target.</summary>
/// <param name="Entry">The original, in state <see cref="MessageState.DeadLettering"/> while the copy is on its way.</param>
/// <param name="Reason">Why it was dead-lettered (for the record that removes the original).</param>
/// <param name="Message">The copy, with its idempotency key (source partition and offset).</param>
internal sealed record DeadLetterCopy(MessageEntry Entry, DeadLetterReason Reason, IncomingMessage Message)
{
    public long Offset => Entry.Offset;
}
