// How the driver writes JSON, and the serialization metadata for JSON payloads.
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace Sinew.Client.Conformance;

internal static class DriverJson
{
    /// <summary>Compact single-line output. Non-ASCII text is written as is rather than as \u escapes, so the
    /// responses stay readable in failure reports; the output is never embedded in HTML.</summary>
    public static readonly JsonSerializerOptions Options = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, WriteIndented = false };
}

/// <summary>Source-generated metadata, so JSON payloads go through the client's trimming-safe
/// <see cref="OutgoingMessage.FromJson{T}(T, System.Text.Json.Serialization.Metadata.JsonTypeInfo{T})"/>.</summary>
[JsonSerializable(typeof(JsonNode))]
internal sealed partial class DriverJsonContext : JsonSerializerContext;
