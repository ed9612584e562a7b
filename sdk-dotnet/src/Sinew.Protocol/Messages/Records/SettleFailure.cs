// Record SettleFailure: one settlement the broker could not apply.
using MessagePack;
using Sinew.Protocol.Encoding;

namespace Sinew.Protocol.Messages;

/// <summary>A delivery that was not settled.</summary>
/// <param name="DeliveryId">The delivery.</param>
/// <param name="Code">Why, as an error code (see <see cref="Errors.ErrorCode"/>).</param>
public sealed record SettleFailure(ulong DeliveryId, ushort Code) : IRecordCodec
{
    void IRecordCodec.Write(ref MessagePackWriter writer)
    {
        writer.WriteArrayHeader(2);
        writer.Write(DeliveryId);
        writer.Write(Code);
    }

    internal static SettleFailure Read(ref BodyReader reader)
    {
        var n = reader.OpenRecord("failures[]");
        var value = new SettleFailure(reader.U64(ref n, "failures.delivery_id"), reader.U16(ref n, "failures.code"));
        reader.CloseRecord(n);
        return value;
    }
}
