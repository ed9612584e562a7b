// The JSON body of a fault command; every field is optional and each command reads the ones it needs.
using System.Text.Json.Serialization;

namespace Sinew.FaultProxy;

internal sealed record FaultRequest
{
    /// <summary>"current" (the default), "new" or "all": open connections, connections accepted later, or both.</summary>
    [JsonPropertyName("scope")]
    public string? Scope { get; init; }

    /// <summary>One open connection's id, instead of all open ones.</summary>
    [JsonPropertyName("connection")]
    public long? Connection { get; init; }

    /// <summary>"up" (client to broker), "down" (broker to client) or "both" (the default).</summary>
    [JsonPropertyName("direction")]
    public string? Direction { get; init; }

    /// <summary>"rst" (the default) or "fin"; for close-after also "drop".</summary>
    [JsonPropertyName("how")]
    public string? How { get; init; }

    [JsonPropertyName("ms")]
    public int? Milliseconds { get; init; }

    [JsonPropertyName("bytes")]
    public long? Bytes { get; init; }

    public bool ForCurrent => ParseScope() is "current" or "all";

    public bool ForNew => ParseScope() is "new" or "all";

    private string ParseScope() => Scope switch
    {
        null or "" or "current" => "current",
        "new" or "all" => Scope,
        _ => throw new FaultRequestException($"scope must be current, new or all, not '{Scope}'"),
    };
}
