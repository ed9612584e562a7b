// Where the broker stored a confirmed message, as the publish pipeline reports it to the handles.
namespace Sinew.Client.Core;

/// <summary>The broker's confirmation of one message: the partition and offset it was stored at, and whether it was
/// a duplicate of one stored before (same producer id and sequence), in which case they are the original's.</summary>
internal readonly record struct ConfirmedMessage(uint Partition, ulong Offset, bool Duplicate);
