// Snapshot files as the broker wrote them before it counted failures ("SNWSNAP2": the current layout without the
// failure counts of entries and cursor requeues), for tests that a newer broker still reads them.
using System.Buffers.Binary;
using System.IO.Hashing;
using System.Text;
using Sinew.Broker.Storage;

namespace Sinew.Broker.Tests.Support;

internal static class LegacySnapshotFile
{
    public static byte[] EncodeWithoutFailures(PartitionSnapshot snapshot)
    {
        var bytes = new List<byte>();
        var scratch = new byte[8];
        void Int64(long value)
        {
            BinaryPrimitives.WriteInt64BigEndian(scratch, value);
            bytes.AddRange(scratch);
        }

        void Int32(int value)
        {
            BinaryPrimitives.WriteInt32BigEndian(scratch, value);
            bytes.AddRange(scratch.AsSpan(0, 4));
        }

        bytes.AddRange("SNWSNAP2"u8.ToArray());
        Int64(snapshot.Lsn);
        Int64(snapshot.NextOffset);
        Int32(snapshot.Entries.Count);
        foreach (var e in snapshot.Entries)
        {
            Int64(e.Offset);
            Int64(e.Lsn);
            Int64(e.PublishedAtMs);
            Int64(e.ExpiresAtMs);
            Int64(e.NotBeforeMs);
            Int32(e.DeliveryCount);
        }

        Int32(snapshot.Dedup.Count);
        foreach (var d in snapshot.Dedup)
        {
            var producer = Encoding.UTF8.GetBytes(d.Producer);
            BinaryPrimitives.WriteUInt16BigEndian(scratch, (ushort)producer.Length);
            bytes.AddRange(scratch.AsSpan(0, 2));
            bytes.AddRange(producer);
            Int64((long)d.Sequence);
            Int64(d.Offset);
            Int64(d.LsnEnd);
            Int64(d.AtMs);
        }

        var cursor = snapshot.Cursor;
        Int64(cursor.Lsn);
        Int64(cursor.Offset);
        Int32(cursor.Settled.Count);
        foreach (var (start, end) in cursor.Settled)
        {
            Int64(start);
            Int64(end);
        }

        Int32(cursor.Requeued.Count);
        foreach (var r in cursor.Requeued)
        {
            Int64(r.Offset);
            Int32(r.DeliveryCount);
            Int64(r.NotBeforeMs);
        }

        BinaryPrimitives.WriteUInt32BigEndian(scratch, Crc32.HashToUInt32(bytes.ToArray()));
        bytes.AddRange(scratch.AsSpan(0, 4));
        return [.. bytes];
    }
}
