// Where a confirmed message was stored.
using Sinew.Client.Core;

namespace Sinew.Client;

/// <summary>The broker's confirmation that a message is durable: where it was stored.</summary>
/// <param name="Partition">The partition it was stored in.</param>
/// <param name="Offset">Its offset in that partition.</param>
/// <param name="Duplicate">True when the broker had already stored a message with the same producer id and
/// sequence; <paramref name="Partition"/> and <paramref name="Offset"/> are then the original's.</param>
public readonly record struct PublishReceipt(int Partition, ulong Offset, bool Duplicate)
{
    /// <summary>The receipt for a confirmation from the publish pipeline.</summary>
    internal static PublishReceipt FromConfirmed(ConfirmedMessage confirmed) =>
        new((int)confirmed.Partition, confirmed.Offset, confirmed.Duplicate);
}
