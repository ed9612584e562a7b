// Scenario variables: queue names bound per run, values saved from results, time marks, values collected
// across steps, and computed values such as ${now+500} and ${fnv:key:4}.
using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Sinew.Protocol.Routing;

namespace Sinew.Conformance.Scenarios;

internal sealed partial class Variables
{
    private readonly Dictionary<string, JsonNode?> _values = new(StringComparer.Ordinal);

    public Func<long> Clock { get; init; } = () => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

    public void Set(string name, JsonNode? value) => _values[name] = value?.DeepClone();

    public bool TryGet(string name, out JsonNode? value) => _values.TryGetValue(name, out value);

    public void Append(string name, JsonNode? value)
    {
        if (!_values.TryGetValue(name, out var list) || list is not JsonArray array)
        {
            _values[name] = array = [];
        }

        array.Add(value?.DeepClone());
    }

    /// <summary>Replaces ${…} references throughout a JSON value. A string that is exactly one reference
    /// becomes the referenced value with its own type; references inside longer strings are interpolated.</summary>
    public JsonNode? Substitute(JsonNode? node) => node switch
    {
        JsonObject obj => new JsonObject(obj.Select(p => KeyValuePair.Create(Interpolate(p.Key), Substitute(p.Value)))),
        JsonArray array => new JsonArray(array.Select(Substitute).ToArray()),
        JsonValue value when value.TryGetValue<string>(out var text) => SubstituteString(text),
        _ => node?.DeepClone(),
    };

    private JsonNode? SubstituteString(string text)
    {
        var whole = Reference().Match(text);
        if (whole.Success && whole.Length == text.Length)
        {
            return Resolve(whole.Groups[1].Value);
        }

        return JsonValue.Create(Interpolate(text));
    }

    private string Interpolate(string text) =>
        Reference().Replace(text, m => Resolve(m.Groups[1].Value) switch
        {
            JsonValue v when v.TryGetValue<string>(out var s) => s,
            null => "null",
            var other => other.ToJsonString(),
        });

    private JsonNode? Resolve(string expression)
    {
        if (expression.StartsWith("fnv:", StringComparison.Ordinal))
        {
            var last = expression.LastIndexOf(':');
            var key = expression[4..last];
            var partitions = uint.Parse(expression[(last + 1)..], CultureInfo.InvariantCulture);
            return JsonValue.Create(PartitionRouting.PartitionForKey(key, partitions));
        }

        var arithmetic = Arithmetic().Match(expression);
        var name = arithmetic.Success ? arithmetic.Groups[1].Value : expression;
        JsonNode? value;
        if (name == "now")
        {
            value = JsonValue.Create(Clock());
        }
        else if (!_values.TryGetValue(name, out value))
        {
            throw new KeyNotFoundException($"the scenario refers to ${{{name}}}, which was never set");
        }

        if (!arithmetic.Success)
        {
            return value?.DeepClone();
        }

        var number = long.Parse(value!.ToString(), CultureInfo.InvariantCulture);
        var operand = long.Parse(arithmetic.Groups[3].Value, CultureInfo.InvariantCulture);
        return JsonValue.Create(arithmetic.Groups[2].Value == "+" ? number + operand : number - operand);
    }

    [GeneratedRegex(@"\$\{([^}]+)\}")]
    private static partial Regex Reference();

    [GeneratedRegex(@"^([A-Za-z_][A-Za-z0-9_]*)\s*([+-])\s*(\d+)$")]
    private static partial Regex Arithmetic();
}
