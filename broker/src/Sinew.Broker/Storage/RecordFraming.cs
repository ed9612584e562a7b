// How records are framed in a segment: a length, a CRC-32 of the body, then the body.
using System.Buffers.Binary;
using System.IO.Hashing;

namespace Sinew.Broker.Storage;

/// <summary>Record framing: <c>[u32 body length][u32 CRC-32 of the body][body]</c>, big-endian.
/// The body's first byte is the <see cref="RecordType"/>.</summary>
internal static class RecordFraming
{
    public const int HeaderSize = 8;

    /// <summary>Largest record body; bigger than any frame so a maximal message always fits.</summary>
    public const int MaxBodyLength = 64 << 20;

    public static void WriteHeader(Span<byte> destination, ReadOnlySpan<byte> body)
    {
        BinaryPrimitives.WriteUInt32BigEndian(destination, (uint)body.Length);
        BinaryPrimitives.WriteUInt32BigEndian(destination[4..], Crc32.HashToUInt32(body));
    }

    /// <summary>Reads the header at the start of <paramref name="source"/>.</summary>
    /// <returns>False when the length is impossible (zero or over the maximum).</returns>
    public static bool TryReadHeader(ReadOnlySpan<byte> source, out int bodyLength, out uint crc)
    {
        var length = BinaryPrimitives.ReadUInt32BigEndian(source);
        crc = BinaryPrimitives.ReadUInt32BigEndian(source[4..]);
        bodyLength = (int)Math.Min(length, int.MaxValue);
        return length is >= 1 and <= MaxBodyLength;
    }

    public static bool BodyMatches(ReadOnlySpan<byte> body, uint crc) => Crc32.HashToUInt32(body) == crc;
}

/// <summary>What a record says. Numbers are part of the on-disk format: append only.</summary>
internal enum RecordType : byte
{
    /// <summary>The first record of every segment: the partition's next offset when the segment began.</summary>
    SegmentStart = 1,
    /// <summary>A published message.</summary>
    Message = 2,
    /// <summary>Messages settled as done.</summary>
    Ack = 3,
    /// <summary>A message returned to the queue (retry, lease expiry, consumer gone), with its delivery count. Written
    /// by earlier versions, which counted no failures; <see cref="Returned"/> replaces it and recovery reads both.</summary>
    Requeue = 4,
    /// <summary>A message removed from the queue by its dead-letter policy.</summary>
    DeadLettered = 5,
    /// <summary>A message leaving through its dead-letter policy: out of delivery until its copy is durable in the
    /// target (then a <see cref="DeadLettered"/> record removes it). Recovery routes it again when none follows.</summary>
    DeadLetterPending = 6,
    /// <summary>A message returned to the queue, with its delivery and failure counts.</summary>
    Returned = 7,
    /// <summary>Manual-ack deliveries made since the previous group commit, each with its delivery count, so a
    /// crash of the broker cannot hand a message out again under an attempt number it already used.</summary>
    Delivered = 8,
}
