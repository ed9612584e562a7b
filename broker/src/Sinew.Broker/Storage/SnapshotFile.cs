// The snapshot files of a partition: `snapshot-<lsn>.snap` in the partition's directory, written atomically
// and only once the log is durable up to that position, so a snapshot never describes records a crash could
// lose. The newest readable one wins; older ones are deleted once a newer one is in place.
//
// Format, big-endian: "SNWSNAP3", i64 lsn, i64 next offset, i32 entry count, then per entry i64 offset,
// i64 lsn, i64 published at, i64 expires at, i64 not before, i32 delivery count, i32 failures; i32 key count, then
// per key u16 length + UTF-8 producer, u64 sequence, i64 offset, i64 lsn end, i64 stored at; then the log cursor:
// i64 lsn, i64 offset, i32 settled range count, per range i64 start and i64 end (exclusive), i32 requeue count, per
// requeue i64 offset, i32 delivery count, i64 not before, i32 failures; then a CRC-32 of everything before it.
//
// Older files are still read. "SNWSNAP2" files, written before failures were counted, are the same without the two
// failure counts, which read as 0. "SNWSNAP1" files, written before the log cursor existed, also lack the cursor:
// everything they list was indexed, so they read as a cursor at their own position with nothing behind it.
using System.Buffers.Binary;
using System.IO.Hashing;
using System.Text;

namespace Sinew.Broker.Storage;

internal static class SnapshotFile
{
    private const string Pattern = "snapshot-*.snap";

    private const int EntrySize = 48;
    private const int RequeueSize = 24;

    // The same without the failure counts, in files written before they were counted.
    private const int EntrySizeWithoutFailures = 44;
    private const int RequeueSizeWithoutFailures = 20;

    private static ReadOnlySpan<byte> Magic => "SNWSNAP3"u8;

    private static ReadOnlySpan<byte> MagicWithoutFailures => "SNWSNAP2"u8;

    private static ReadOnlySpan<byte> MagicWithoutCursor => "SNWSNAP1"u8;

    /// <summary>Writes <paramref name="snapshot"/> into <paramref name="directory"/> and deletes the older ones.</summary>
    public static void Write(string directory, PartitionSnapshot snapshot)
    {
        var path = Path.Combine(directory, $"snapshot-{snapshot.Lsn:D20}.snap");
        AtomicFile.Write(path, Encode(snapshot));
        foreach (var older in Directory.GetFiles(directory, Pattern))
        {
            if (string.CompareOrdinal(Path.GetFileName(older), Path.GetFileName(path)) < 0)
            {
                File.Delete(older);
            }
        }
    }

    /// <summary>The newest snapshot in <paramref name="directory"/> that can be read, or null when there is none.
    /// <paramref name="unreadable"/> names the newest file that could not be read, if any was skipped.</summary>
    public static PartitionSnapshot? LoadLatest(string directory, out string? unreadable)
    {
        unreadable = null;
        if (!Directory.Exists(directory))
        {
            return null;
        }

        foreach (var path in Directory.GetFiles(directory, Pattern).OrderDescending(StringComparer.Ordinal))
        {
            if (TryDecode(File.ReadAllBytes(path)) is { } snapshot)
            {
                return snapshot with { FileName = Path.GetFileName(path) };
            }

            unreadable ??= Path.GetFileName(path);
        }

        return null;
    }

    public static byte[] Encode(PartitionSnapshot snapshot)
    {
        var cursor = snapshot.Cursor;
        var size = Magic.Length + 8 + 8 + 4 + (snapshot.Entries.Count * EntrySize) + 4
            + 8 + 8 + 4 + (cursor.Settled.Count * 16) + 4 + (cursor.Requeued.Count * RequeueSize) + 4;
        foreach (var d in snapshot.Dedup)
        {
            size += 2 + Encoding.UTF8.GetByteCount(d.Producer) + 8 + 8 + 8 + 8;
        }

        var bytes = new byte[size];
        var span = bytes.AsSpan();
        Magic.CopyTo(span);
        var p = Magic.Length;
        BinaryPrimitives.WriteInt64BigEndian(span[p..], snapshot.Lsn); p += 8;
        BinaryPrimitives.WriteInt64BigEndian(span[p..], snapshot.NextOffset); p += 8;
        BinaryPrimitives.WriteInt32BigEndian(span[p..], snapshot.Entries.Count); p += 4;
        foreach (var e in snapshot.Entries)
        {
            BinaryPrimitives.WriteInt64BigEndian(span[p..], e.Offset); p += 8;
            BinaryPrimitives.WriteInt64BigEndian(span[p..], e.Lsn); p += 8;
            BinaryPrimitives.WriteInt64BigEndian(span[p..], e.PublishedAtMs); p += 8;
            BinaryPrimitives.WriteInt64BigEndian(span[p..], e.ExpiresAtMs); p += 8;
            BinaryPrimitives.WriteInt64BigEndian(span[p..], e.NotBeforeMs); p += 8;
            BinaryPrimitives.WriteInt32BigEndian(span[p..], e.DeliveryCount); p += 4;
            BinaryPrimitives.WriteInt32BigEndian(span[p..], e.Failures); p += 4;
        }

        BinaryPrimitives.WriteInt32BigEndian(span[p..], snapshot.Dedup.Count); p += 4;
        foreach (var d in snapshot.Dedup)
        {
            var length = Encoding.UTF8.GetBytes(d.Producer, span[(p + 2)..]);
            BinaryPrimitives.WriteUInt16BigEndian(span[p..], (ushort)length); p += 2 + length;
            BinaryPrimitives.WriteUInt64BigEndian(span[p..], d.Sequence); p += 8;
            BinaryPrimitives.WriteInt64BigEndian(span[p..], d.Offset); p += 8;
            BinaryPrimitives.WriteInt64BigEndian(span[p..], d.LsnEnd); p += 8;
            BinaryPrimitives.WriteInt64BigEndian(span[p..], d.AtMs); p += 8;
        }

        BinaryPrimitives.WriteInt64BigEndian(span[p..], cursor.Lsn); p += 8;
        BinaryPrimitives.WriteInt64BigEndian(span[p..], cursor.Offset); p += 8;
        BinaryPrimitives.WriteInt32BigEndian(span[p..], cursor.Settled.Count); p += 4;
        foreach (var (start, end) in cursor.Settled)
        {
            BinaryPrimitives.WriteInt64BigEndian(span[p..], start); p += 8;
            BinaryPrimitives.WriteInt64BigEndian(span[p..], end); p += 8;
        }

        BinaryPrimitives.WriteInt32BigEndian(span[p..], cursor.Requeued.Count); p += 4;
        foreach (var r in cursor.Requeued)
        {
            BinaryPrimitives.WriteInt64BigEndian(span[p..], r.Offset); p += 8;
            BinaryPrimitives.WriteInt32BigEndian(span[p..], r.DeliveryCount); p += 4;
            BinaryPrimitives.WriteInt64BigEndian(span[p..], r.NotBeforeMs); p += 8;
            BinaryPrimitives.WriteInt32BigEndian(span[p..], r.Failures); p += 4;
        }

        BinaryPrimitives.WriteUInt32BigEndian(span[p..], Crc32.HashToUInt32(span[..p]));
        return bytes;
    }

    /// <summary>The snapshot <paramref name="bytes"/> hold, or null when they are damaged.</summary>
    public static PartitionSnapshot? TryDecode(byte[] bytes)
    {
        try
        {
            var span = bytes.AsSpan();
            var withFailures = span.StartsWith(Magic);
            var withCursor = withFailures || span.StartsWith(MagicWithoutFailures);
            if (span.Length < Magic.Length + 28 || !(withCursor || span.StartsWith(MagicWithoutCursor))
                || Crc32.HashToUInt32(span[..^4]) != BinaryPrimitives.ReadUInt32BigEndian(span[^4..]))
            {
                return null;
            }

            var p = Magic.Length;
            var lsn = BinaryPrimitives.ReadInt64BigEndian(span[p..]); p += 8;
            var nextOffset = BinaryPrimitives.ReadInt64BigEndian(span[p..]); p += 8;
            var count = BinaryPrimitives.ReadInt32BigEndian(span[p..]); p += 4;
            var entries = new List<SnapshotEntry>(count);
            for (var i = 0; i < count; i++)
            {
                entries.Add(new SnapshotEntry(
                    BinaryPrimitives.ReadInt64BigEndian(span[p..]),
                    BinaryPrimitives.ReadInt64BigEndian(span[(p + 8)..]),
                    BinaryPrimitives.ReadInt64BigEndian(span[(p + 16)..]),
                    BinaryPrimitives.ReadInt64BigEndian(span[(p + 24)..]),
                    BinaryPrimitives.ReadInt64BigEndian(span[(p + 32)..]),
                    BinaryPrimitives.ReadInt32BigEndian(span[(p + 40)..]),
                    withFailures ? BinaryPrimitives.ReadInt32BigEndian(span[(p + 44)..]) : 0));
                p += withFailures ? EntrySize : EntrySizeWithoutFailures;
            }

            var dedupCount = BinaryPrimitives.ReadInt32BigEndian(span[p..]); p += 4;
            var dedup = new List<SnapshotDedup>(dedupCount);
            for (var i = 0; i < dedupCount; i++)
            {
                var length = BinaryPrimitives.ReadUInt16BigEndian(span[p..]); p += 2;
                var producer = Encoding.UTF8.GetString(span.Slice(p, length)); p += length;
                dedup.Add(new SnapshotDedup(producer,
                    BinaryPrimitives.ReadUInt64BigEndian(span[p..]),
                    BinaryPrimitives.ReadInt64BigEndian(span[(p + 8)..]),
                    BinaryPrimitives.ReadInt64BigEndian(span[(p + 16)..]),
                    BinaryPrimitives.ReadInt64BigEndian(span[(p + 24)..])));
                p += 32;
            }

            var cursor = SnapshotCursor.Empty(lsn, nextOffset);
            if (withCursor)
            {
                var cursorLsn = BinaryPrimitives.ReadInt64BigEndian(span[p..]); p += 8;
                var cursorOffset = BinaryPrimitives.ReadInt64BigEndian(span[p..]); p += 8;
                var rangeCount = BinaryPrimitives.ReadInt32BigEndian(span[p..]); p += 4;
                var settled = new List<(long, long)>(Math.Min(rangeCount, span.Length / 16));
                for (var i = 0; i < rangeCount; i++)
                {
                    settled.Add((BinaryPrimitives.ReadInt64BigEndian(span[p..]), BinaryPrimitives.ReadInt64BigEndian(span[(p + 8)..])));
                    p += 16;
                }

                var requeueCount = BinaryPrimitives.ReadInt32BigEndian(span[p..]); p += 4;
                var requeued = new List<SnapshotRequeue>(Math.Min(requeueCount, span.Length / RequeueSizeWithoutFailures));
                for (var i = 0; i < requeueCount; i++)
                {
                    requeued.Add(new SnapshotRequeue(BinaryPrimitives.ReadInt64BigEndian(span[p..]),
                        BinaryPrimitives.ReadInt32BigEndian(span[(p + 8)..]), BinaryPrimitives.ReadInt64BigEndian(span[(p + 12)..]),
                        withFailures ? BinaryPrimitives.ReadInt32BigEndian(span[(p + 20)..]) : 0));
                    p += withFailures ? RequeueSize : RequeueSizeWithoutFailures;
                }

                cursor = new SnapshotCursor(cursorLsn, cursorOffset, settled, requeued);
            }

            return p == span.Length - 4 ? new PartitionSnapshot(lsn, nextOffset, entries, dedup, cursor) : null;
        }
        catch (ArgumentOutOfRangeException)
        {
            return null;
        }
    }
}
