// Encoding and decoding of every record body kept in a partition log. Big-endian, length-prefixed
// strings; absent strings have length 0xFFFF.
using System.Buffers.Binary;
using System.Text;

namespace Sinew.Broker.Storage;

/// <summary>A message as stored in the log.</summary>
internal sealed record MessageRecord(
    long Offset,
    long PublishedAtMs,
    long ExpiresAtMs,
    long NotBeforeMs,
    string? ProducerId,
    ulong Sequence,
    MessageBody Body);

/// <summary>Record body codecs.</summary>
internal static class Records
{
    private const ushort AbsentString = 0xFFFF;
    private static readonly UTF8Encoding Utf8 = new(false, true);

    // ---- sizes --------------------------------------------------------------------------------

    public static int MessageSize(MessageRecord record)
    {
        // type, five 64-bit fields, two length-prefixed strings, the header count, the payload.
        var size = 1 + (5 * 8) + 2 + StringSize(record.ProducerId) + 2 + StringSize(record.Body.ContentType) + 2 + 4 + record.Body.Payload.Length;
        if (record.Body.Headers is { } headers)
        {
            foreach (var (key, value) in headers)
            {
                size += 2 + Utf8.GetByteCount(key) + 4 + Utf8.GetByteCount(value);
            }
        }

        return size;
    }

    public const int SegmentStartSize = 1 + 8 + 8;

    public const int RequeueSize = 1 + 8 + 4 + 8;

    public const int ReturnedSize = 1 + 8 + 4 + 4 + 8;

    public const int DeadLetteredSize = 1 + 8 + 1;

    public static int DeadLetterPendingSize(string? error) => 1 + 8 + 1 + 2 + StringSize(error);

    public static int DeliveredSize(int count) => 1 + 4 + (DeliveredItemSize * count);

    private const int DeliveredItemSize = 8 + 4;

    public static int AckSize(int count) => 1 + 4 + (8 * count);

    private static int StringSize(string? value) => value is null ? 0 : Utf8.GetByteCount(value);

    // ---- writers ------------------------------------------------------------------------------

    public static void WriteMessage(Span<byte> body, MessageRecord record)
    {
        var w = new SpanWriter(body);
        w.Byte((byte)RecordType.Message);
        w.Int64(record.Offset);
        w.Int64(record.PublishedAtMs);
        w.Int64(record.ExpiresAtMs);
        w.Int64(record.NotBeforeMs);
        w.UInt64(record.Sequence);
        w.String(record.ProducerId);
        w.String(record.Body.ContentType);
        var headers = record.Body.Headers;
        w.UInt16((ushort)(headers?.Count ?? AbsentString));
        if (headers is not null)
        {
            foreach (var (key, value) in headers)
            {
                w.String(key);
                w.LongString(value);
            }
        }

        w.Bytes32(record.Body.Payload.Span);
        w.EnsureFull();
    }

    public static void WriteSegmentStart(Span<byte> body, long nextOffset, long createdAtMs)
    {
        var w = new SpanWriter(body);
        w.Byte((byte)RecordType.SegmentStart);
        w.Int64(nextOffset);
        w.Int64(createdAtMs);
        w.EnsureFull();
    }

    public static void WriteAck(Span<byte> body, ReadOnlySpan<long> offsets)
    {
        var w = new SpanWriter(body);
        w.Byte((byte)RecordType.Ack);
        w.UInt32((uint)offsets.Length);
        foreach (var offset in offsets)
        {
            w.Int64(offset);
        }

        w.EnsureFull();
    }

    /// <summary>The requeue record of earlier versions, which counted no failures (recovery still reads it).</summary>
    public static void WriteRequeue(Span<byte> body, long offset, int deliveryCount, long notBeforeMs)
    {
        var w = new SpanWriter(body);
        w.Byte((byte)RecordType.Requeue);
        w.Int64(offset);
        w.UInt32((uint)deliveryCount);
        w.Int64(notBeforeMs);
        w.EnsureFull();
    }

    public static void WriteReturned(Span<byte> body, long offset, int deliveryCount, int failures, long notBeforeMs)
    {
        var w = new SpanWriter(body);
        w.Byte((byte)RecordType.Returned);
        w.Int64(offset);
        w.UInt32((uint)deliveryCount);
        w.UInt32((uint)failures);
        w.Int64(notBeforeMs);
        w.EnsureFull();
    }

    public static void WriteDelivered(Span<byte> body, ReadOnlySpan<(long Offset, int DeliveryCount)> deliveries)
    {
        var w = new SpanWriter(body);
        w.Byte((byte)RecordType.Delivered);
        w.UInt32((uint)deliveries.Length);
        foreach (var (offset, deliveryCount) in deliveries)
        {
            w.Int64(offset);
            w.UInt32((uint)deliveryCount);
        }

        w.EnsureFull();
    }

    public static void WriteDeadLettered(Span<byte> body, long offset, DeadLetterReason reason)
    {
        var w = new SpanWriter(body);
        w.Byte((byte)RecordType.DeadLettered);
        w.Int64(offset);
        w.Byte((byte)reason);
        w.EnsureFull();
    }

    /// <summary>The start of a dead-lettering: the offset, why, and the error text the copy carries (null for none),
    /// so that a restart before the copy is durable routes the same copy again.</summary>
    public static void WriteDeadLetterPending(Span<byte> body, long offset, DeadLetterReason reason, string? error)
    {
        var w = new SpanWriter(body);
        w.Byte((byte)RecordType.DeadLetterPending);
        w.Int64(offset);
        w.Byte((byte)reason);
        w.String(error);
        w.EnsureFull();
    }

    // ---- readers ------------------------------------------------------------------------------

    public static RecordType TypeOf(ReadOnlySpan<byte> body) => (RecordType)body[0];

    public static MessageRecord ReadMessage(ReadOnlySpan<byte> body)
    {
        var r = new SpanReader(body[1..]);
        var offset = r.Int64();
        var publishedAt = r.Int64();
        var expiresAt = r.Int64();
        var notBefore = r.Int64();
        var sequence = r.UInt64();
        var producer = r.String();
        var contentType = r.String();
        var headerCount = r.UInt16();
        Dictionary<string, string>? headers = null;
        if (headerCount != AbsentString)
        {
            headers = new Dictionary<string, string>(headerCount, StringComparer.Ordinal);
            for (var i = 0; i < headerCount; i++)
            {
                var key = r.String() ?? throw new InvalidDataException("a header key is absent");
                headers[key] = r.LongString();
            }
        }

        var payload = r.Bytes32();
        r.EnsureEnd();
        return new MessageRecord(offset, publishedAt, expiresAt, notBefore, producer, sequence, new MessageBody(payload, contentType, headers));
    }

    public static (long NextOffset, long CreatedAtMs) ReadSegmentStart(ReadOnlySpan<byte> body)
    {
        var r = new SpanReader(body[1..]);
        var result = (r.Int64(), r.Int64());
        r.EnsureEnd();
        return result;
    }

    public static long[] ReadAck(ReadOnlySpan<byte> body)
    {
        var r = new SpanReader(body[1..]);
        var count = r.UInt32();
        if (count > (body.Length - 5) / 8)
        {
            throw new InvalidDataException("ack record count exceeds its body");
        }

        var offsets = new long[count];
        for (var i = 0; i < offsets.Length; i++)
        {
            offsets[i] = r.Int64();
        }

        r.EnsureEnd();
        return offsets;
    }

    public static (long Offset, int DeliveryCount, long NotBeforeMs) ReadRequeue(ReadOnlySpan<byte> body)
    {
        var r = new SpanReader(body[1..]);
        var result = (r.Int64(), (int)r.UInt32(), r.Int64());
        r.EnsureEnd();
        return result;
    }

    public static (long Offset, int DeliveryCount, int Failures, long NotBeforeMs) ReadReturned(ReadOnlySpan<byte> body)
    {
        var r = new SpanReader(body[1..]);
        var result = (r.Int64(), (int)r.UInt32(), (int)r.UInt32(), r.Int64());
        r.EnsureEnd();
        return result;
    }

    public static (long Offset, int DeliveryCount)[] ReadDelivered(ReadOnlySpan<byte> body)
    {
        var r = new SpanReader(body[1..]);
        var count = r.UInt32();
        if (count > (body.Length - 5) / DeliveredItemSize)
        {
            throw new InvalidDataException("delivered record count exceeds its body");
        }

        var deliveries = new (long, int)[count];
        for (var i = 0; i < deliveries.Length; i++)
        {
            deliveries[i] = (r.Int64(), (int)r.UInt32());
        }

        r.EnsureEnd();
        return deliveries;
    }

    public static (long Offset, DeadLetterReason Reason) ReadDeadLettered(ReadOnlySpan<byte> body)
    {
        var r = new SpanReader(body[1..]);
        var result = (r.Int64(), (DeadLetterReason)r.Byte());
        r.EnsureEnd();
        return result;
    }

    public static (long Offset, DeadLetterReason Reason, string? Error) ReadDeadLetterPending(ReadOnlySpan<byte> body)
    {
        var r = new SpanReader(body[1..]);
        var result = (r.Int64(), (DeadLetterReason)r.Byte(), r.String());
        r.EnsureEnd();
        return result;
    }

    private ref struct SpanWriter(Span<byte> span)
    {
        private readonly Span<byte> _span = span;
        private int _position;

        public void Byte(byte value) => _span[_position++] = value;

        public void UInt16(ushort value)
        {
            BinaryPrimitives.WriteUInt16BigEndian(_span[_position..], value);
            _position += 2;
        }

        public void UInt32(uint value)
        {
            BinaryPrimitives.WriteUInt32BigEndian(_span[_position..], value);
            _position += 4;
        }

        public void Int64(long value)
        {
            BinaryPrimitives.WriteInt64BigEndian(_span[_position..], value);
            _position += 8;
        }

        public void UInt64(ulong value)
        {
            BinaryPrimitives.WriteUInt64BigEndian(_span[_position..], value);
            _position += 8;
        }

        public void String(string? value)
        {
            if (value is null)
            {
                UInt16(AbsentString);
                return;
            }

            var length = Utf8.GetBytes(value, _span[(_position + 2)..]);
            if (length >= AbsentString)
            {
                throw new InvalidOperationException("a stored string is longer than 65534 bytes");
            }

            UInt16((ushort)length);
            _position += length;
        }

        public void LongString(string value)
        {
            var length = Utf8.GetBytes(value, _span[(_position + 4)..]);
            UInt32((uint)length);
            _position += length;
        }

        public void Bytes32(ReadOnlySpan<byte> value)
        {
            UInt32((uint)value.Length);
            value.CopyTo(_span[_position..]);
            _position += value.Length;
        }

        public readonly void EnsureFull()
        {
            if (_position != _span.Length)
            {
                throw new InvalidOperationException($"record size mismatch: wrote {_position} of {_span.Length} bytes");
            }
        }
    }

    private ref struct SpanReader(ReadOnlySpan<byte> span)
    {
        private readonly ReadOnlySpan<byte> _span = span;
        private int _position;

        public byte Byte() => Take(1)[0];

        public ushort UInt16() => BinaryPrimitives.ReadUInt16BigEndian(Take(2));

        public uint UInt32() => BinaryPrimitives.ReadUInt32BigEndian(Take(4));

        public long Int64() => BinaryPrimitives.ReadInt64BigEndian(Take(8));

        public ulong UInt64() => BinaryPrimitives.ReadUInt64BigEndian(Take(8));

        public string? String()
        {
            var length = UInt16();
            return length == AbsentString ? null : Utf8.GetString(Take(length));
        }

        public string LongString() => Utf8.GetString(Take(checked((int)UInt32())));

        public byte[] Bytes32() => Take(checked((int)UInt32())).ToArray();

        public readonly void EnsureEnd()
        {
            if (_position != _span.Length)
            {
                throw new InvalidDataException($"{_span.Length - _position} unexpected byte(s) at the end of a record");
            }
        }

        private ReadOnlySpan<byte> Take(int count)
        {
            if (count < 0 || _position + count > _span.Length)
            {
                throw new InvalidDataException("a record is shorter than its fields");
            }

            var slice = _span.Slice(_position, count);
            _position += count;
            return slice;
        }
    }
}
