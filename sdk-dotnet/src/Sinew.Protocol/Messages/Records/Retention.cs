// Record Retention: how long a stream keeps records.
using MessagePack;
using Sinew.Protocol.Encoding;

namespace Sinew.Protocol.Messages;

/// <summary>Stream retention limits; records go oldest first once any limit is passed. Absent: unlimited.</summary>
/// <param name="MaxAgeMs">Drop records older than this.</param>
/// <param name="MaxBytes">Keep at most this many bytes per partition.</param>
/// <param name="MaxRecords">Keep at most this many records per partition.</param>
public sealed record Retention(ulong? MaxAgeMs = null, ulong? MaxBytes = null, ulong? MaxRecords = null) : IRecordCodec
{
    void IRecordCodec.Write(ref MessagePackWriter writer)
    {
        writer.WriteArrayHeader(3);
        BodyWriter.OptionalU64(ref writer, MaxAgeMs);
        BodyWriter.OptionalU64(ref writer, MaxBytes);
        BodyWriter.OptionalU64(ref writer, MaxRecords);
    }

    internal static Retention Read(ref BodyReader reader)
    {
        var n = reader.OpenRecord("retention");
        var value = new Retention(
            reader.OptionalU64(ref n, "retention.max_age_ms"),
            reader.OptionalU64(ref n, "retention.max_bytes"),
            reader.OptionalU64(ref n, "retention.max_records"));
        reader.CloseRecord(n);
        return value;
    }
}
