// What a consumer receives of a message: payload, content type and headers.
namespace Sinew.Broker.Storage;

/// <summary>The parts of a message that travel to consumers and into dead-letter copies.</summary>
internal sealed record MessageBody(ReadOnlyMemory<byte> Payload, string? ContentType, IReadOnlyDictionary<string, string>? Headers)
{
    private long _residentBytes = -1;

    /// <summary>Rough bytes held in memory, for the resident-size accounting (computed once).</summary>
    public long ResidentBytes => _residentBytes >= 0 ? _residentBytes : _residentBytes = Measure();

    private long Measure()
    {
        long size = Payload.Length + 64 + ((ContentType?.Length ?? 0) * 2);
        if (Headers is not null)
        {
            foreach (var (key, value) in Headers)
            {
                size += ((key.Length + value.Length) * 2) + 48;
            }
        }

        return size;
    }
}
