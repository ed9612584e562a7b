// Reading a stretch of a partition log back in order: the messages of a backlog that is not indexed in memory,
// read from the log cursor onwards as the index window drains. Sequential reads of a few hundred kilobytes at a
// time, each record checked against its CRC; records that are not messages are stepped over.
using System.Buffers;

namespace Sinew.Broker.Storage;

/// <summary>What one read brought back: the messages in log order and the log position after the last record
/// examined.</summary>
internal sealed record BacklogBatch(List<(long Lsn, MessageRecord Record)> Messages, long End);

internal static class BacklogReader
{
    private const int ChunkBytes = 256 * 1024;

    /// <summary>Reads records from <paramref name="from"/> (a record boundary) up to <paramref name="to"/> (durable),
    /// stopping after <paramref name="maxMessages"/> messages.</summary>
    /// <exception cref="InvalidDataException">A record is damaged or cut short.</exception>
    public static BacklogBatch Read(PartitionLog log, long from, long to, int maxMessages)
    {
        var messages = new List<(long, MessageRecord)>(Math.Min(maxMessages, 1024));
        var buffer = ArrayPool<byte>.Shared.Rent(ChunkBytes);
        try
        {
            var position = from;
            while (position < to && messages.Count < maxMessages)
            {
                var read = log.ReadSequential(position, to, buffer);
                if (read == 0)
                {
                    break;
                }

                var used = 0;
                while (messages.Count < maxMessages && read - used >= RecordFraming.HeaderSize)
                {
                    var chunk = buffer.AsSpan(used, read - used);
                    if (!RecordFraming.TryReadHeader(chunk, out var length, out var crc))
                    {
                        throw new InvalidDataException($"an impossible record length at log position {position + used}");
                    }

                    if (chunk.Length - RecordFraming.HeaderSize < length)
                    {
                        break;
                    }

                    var body = chunk.Slice(RecordFraming.HeaderSize, length);
                    if (!RecordFraming.BodyMatches(body, crc))
                    {
                        throw new InvalidDataException($"the record at log position {position + used} fails its checksum");
                    }

                    if (Records.TypeOf(body) == RecordType.Message)
                    {
                        messages.Add((position + used, Records.ReadMessage(body)));
                    }

                    used += RecordFraming.HeaderSize + length;
                }

                if (used == 0)
                {
                    // Nothing whole in what was read: the record is larger than the buffer, or cut short when the
                    // read already reached the end of its segment or of what is durable.
                    if (read < buffer.Length || read < RecordFraming.HeaderSize
                        || !RecordFraming.TryReadHeader(buffer, out var length, out _) || RecordFraming.HeaderSize + length <= buffer.Length)
                    {
                        throw new InvalidDataException($"a record cut short at log position {position}");
                    }

                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = ArrayPool<byte>.Shared.Rent(RecordFraming.HeaderSize + length);
                    continue;
                }

                position += used;
            }

            return new BacklogBatch(messages, position);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
