// Reading a step's arguments: typed accessors that turn a missing or malformed argument into a driver error.
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Sinew.Client.Conformance;

/// <summary>The arguments of one request. A JSON null counts as absent. Integers are accepted as JSON numbers or
/// as decimal strings, since scenario variables may produce either.</summary>
internal readonly struct Request(JsonObject json)
{
    public JsonNode? this[string name] => json[name];

    public string String(string name) =>
        OptionalString(name) ?? throw new DriverException($"the step needs \"{name}\" as a string");

    public string? OptionalString(string name) => json[name] switch
    {
        null => null,
        JsonValue value when value.TryGetValue<string>(out var text) => text,
        _ => throw new DriverException($"\"{name}\" must be a string"),
    };

    public long Integer(string name) =>
        OptionalInteger(name) ?? throw new DriverException($"the step needs \"{name}\" as an integer");

    public long? OptionalInteger(string name) => ToInteger(json[name], name);

    public JsonObject? OptionalObject(string name) => json[name] switch
    {
        null => null,
        JsonObject obj => obj,
        _ => throw new DriverException($"\"{name}\" must be an object"),
    };

    public JsonArray Array(string name) => json[name] as JsonArray ?? throw new DriverException($"the step needs \"{name}\" as a list");

    public static long? ToInteger(JsonNode? node, string name)
    {
        if (node is null)
        {
            return null;
        }

        if (node is JsonValue value)
        {
            if (value.GetValueKind() == JsonValueKind.Number && value.TryGetValue<long>(out var number))
            {
                return number;
            }

            if (value.GetValueKind() == JsonValueKind.Number && value.TryGetValue<double>(out var real) && real == Math.Floor(real)
                && real is >= long.MinValue and <= long.MaxValue)
            {
                return (long)real;
            }

            if (value.TryGetValue<string>(out var text) && long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out number))
            {
                return number;
            }
        }

        throw new DriverException($"\"{name}\" must be an integer, not {node.ToJsonString()}");
    }
}
