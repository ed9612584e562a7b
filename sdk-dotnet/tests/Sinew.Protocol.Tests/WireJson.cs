// Converts typed messages to and from the vectors' JSON form with System.Text.Json: snake_case names,
// u64 as decimal strings, bin as hex, enums by name.
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Sinew.Protocol.Messages;

namespace Sinew.Protocol.Tests;

internal static class WireJson
{
    public static readonly JsonSerializerOptions Options = CreateOptions();

    public static Type MessageType(string op) =>
        typeof(IWireMessage).Assembly.GetType($"Sinew.Protocol.Messages.{op}", throwOnError: true)!;

    public static IWireMessage FromFields(string op, JsonNode fields) =>
        (IWireMessage)fields.Deserialize(MessageType(op), Options)!;

    public static JsonNode ToFields(IWireMessage message) =>
        JsonSerializer.SerializeToNode(message, message.GetType(), Options)!;

    private static JsonSerializerOptions CreateOptions()
    {
        var options = new JsonSerializerOptions
        {
            PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
            UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
            TypeInfoResolver = new DefaultJsonTypeInfoResolver
            {
                Modifiers =
                {
                    static info =>
                    {
                        // Opcode is a property of the CLR type, not a field of the body.
                        if (typeof(IWireMessage).IsAssignableFrom(info.Type))
                        {
                            var opcode = info.Properties.SingleOrDefault(p => p.Name == "opcode");
                            if (opcode is not null)
                            {
                                info.Properties.Remove(opcode);
                            }
                        }
                    },
                },
            },
        };
        options.Converters.Add(new U64Converter());
        options.Converters.Add(new BytesConverter());
        options.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower, allowIntegerValues: false));
        return options;
    }

    private sealed class U64Converter : JsonConverter<ulong>
    {
        public override ulong Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            reader.TokenType == JsonTokenType.String
                ? ulong.Parse(reader.GetString()!, NumberStyles.None, CultureInfo.InvariantCulture)
                : throw new JsonException("u64 values are written as decimal strings");

        public override void Write(Utf8JsonWriter writer, ulong value, JsonSerializerOptions options) =>
            writer.WriteStringValue(value.ToString(CultureInfo.InvariantCulture));
    }

    private sealed class BytesConverter : JsonConverter<ReadOnlyMemory<byte>>
    {
        public override ReadOnlyMemory<byte> Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            reader.TokenType == JsonTokenType.String
                ? Convert.FromHexString(reader.GetString()!)
                : throw new JsonException("bin values are written as hex strings");

        public override void Write(Utf8JsonWriter writer, ReadOnlyMemory<byte> value, JsonSerializerOptions options) =>
            writer.WriteStringValue(Convert.ToHexStringLower(value.Span));
    }
}
