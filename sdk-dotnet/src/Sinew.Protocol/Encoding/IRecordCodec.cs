// Implemented by every message and nested record: how it writes itself as a MessagePack array.
using MessagePack;

namespace Sinew.Protocol.Encoding;

/// <summary>Writes a message body or a nested record in canonical form.</summary>
internal interface IRecordCodec
{
    void Write(ref MessagePackWriter writer);
}
