// What the fault proxy's /connections answers: how many it accepted and the ones open now.
using System.Text.Json.Serialization;

namespace Sinew.Testing;

public sealed record ProxyConnections(
    [property: JsonPropertyName("accepted")] long Accepted,
    [property: JsonPropertyName("open")] IReadOnlyList<ProxyConnection> Open);

/// <summary>One open connection: its id, the client's address, and each direction's state ("flowing", "stalled",
/// "half-closed"…), bytes forwarded and bytes read (forwarded or not).</summary>
public sealed record ProxyConnection(
    [property: JsonPropertyName("id")] long Id,
    [property: JsonPropertyName("client")] string? Client,
    [property: JsonPropertyName("up")] ProxyFlow Up,
    [property: JsonPropertyName("down")] ProxyFlow? Down);

public sealed record ProxyFlow(
    [property: JsonPropertyName("state")] string State,
    [property: JsonPropertyName("bytes")] long Bytes,
    [property: JsonPropertyName("read")] long Read);
