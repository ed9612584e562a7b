// Checks a step's result against the scenario's expectations. Expectations are a map from a path in the
// result to a matcher. Paths are dotted; at each level the longest key that matches is used, so header
// names containing dots work ("headers.sinew.dlq.reason"); a number indexes a list and "*" takes every
// element. A matcher is a plain value (equality; numbers and numeric strings compare as numbers) or an
// object naming one check.
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Sinew.Conformance.Scenarios;

internal static class Expectations
{
    /// <summary>Every expectation that does not hold, described for a person.</summary>
    public static List<string> Check(JsonNode? actual, JsonObject expected)
    {
        var failures = new List<string>();
        foreach (var (path, matcher) in expected)
        {
            var found = Resolve(actual, path, out var value);
            if (Failure(path, found, value, matcher) is { } failure)
            {
                failures.Add(failure);
            }
        }

        return failures;
    }

    /// <summary>Checks one value (for the runner's <c>check</c> step).</summary>
    public static string? CheckValue(string name, JsonNode? value, JsonNode? matcher) => Failure(name, true, value, matcher);

    private static string? Failure(string path, bool found, JsonNode? value, JsonNode? matcher)
    {
        if (matcher is JsonObject check && check.Count == 1 && Known.Contains(check.First().Key))
        {
            var (kind, operand) = check.First();
            if (kind == "absent")
            {
                return found && value is not null ? $"{path} should be absent but is {Show(value)}" : null;
            }

            if (!found)
            {
                return $"{path} is missing (expected {kind} {Show(operand)})";
            }

            return kind switch
            {
                "present" => value is null ? $"{path} is null" : null,
                "gt" => Compare(value, operand) > 0 ? null : $"{path} is {Show(value)}, not greater than {Show(operand)}",
                "gte" => Compare(value, operand) >= 0 ? null : $"{path} is {Show(value)}, less than {Show(operand)}",
                "lt" => Compare(value, operand) < 0 ? null : $"{path} is {Show(value)}, not less than {Show(operand)}",
                "lte" => Compare(value, operand) <= 0 ? null : $"{path} is {Show(value)}, greater than {Show(operand)}",
                "ne" => Same(value, operand) ? $"{path} is {Show(value)}, which it must not be" : null,
                "length" => value is JsonArray a && a.Count == (int)operand!
                    ? null
                    : $"{path} has {(value as JsonArray)?.Count.ToString(CultureInfo.InvariantCulture) ?? "no"} element(s), expected {operand}",
                "contains" => value?.ToString().Contains(operand!.ToString(), StringComparison.Ordinal) == true
                    ? null
                    : $"{path} is {Show(value)}, which does not contain {Show(operand)}",
                "matches" => value is not null && Regex.IsMatch(value.ToString(), operand!.ToString())
                    ? null
                    : $"{path} is {Show(value)}, which does not match /{operand}/",
                "contains_item" => value is JsonArray items && items.Any(item => Check(item, operand!.AsObject()).Count == 0)
                    ? null
                    : $"{path} has no element matching {Show(operand)}: {Show(value)}",
                "multiset" => Multiset(value, operand) ? null : $"{path} is {Show(value)}, expected the elements {Show(operand)} in any order",
                "set" => Set(value, operand) ? null : $"{path} is {Show(value)}, expected exactly the distinct elements {Show(operand)}",
                "json_equals" => JsonEquals(value, operand) ? null : $"{path} is {Show(value)}, not JSON equal to {Show(operand)}",
                _ => $"unknown matcher {kind}",
            };
        }

        if (!found)
        {
            return $"{path} is missing (expected {Show(matcher)})";
        }

        return Same(value, matcher) ? null : $"{path} is {Show(value)}, expected {Show(matcher)}";
    }

    private static readonly HashSet<string> Known =
        ["present", "absent", "gt", "gte", "lt", "lte", "ne", "length", "contains", "matches", "contains_item", "multiset", "set", "json_equals"];

    /// <summary>Finds the value at <paramref name="path"/>; false when some part does not exist.</summary>
    public static bool Resolve(JsonNode? node, string path, out JsonNode? value)
    {
        value = node;
        var rest = path;
        while (rest.Length > 0)
        {
            switch (value)
            {
                case JsonObject obj:
                    // Longest key first, so keys containing dots can be addressed.
                    var end = rest.Length;
                    var matched = false;
                    while (end > 0)
                    {
                        var key = rest[..end];
                        if (obj.TryGetPropertyValue(key, out var child))
                        {
                            value = child;
                            rest = end < rest.Length ? rest[(end + 1)..] : "";
                            matched = true;
                            break;
                        }

                        end = rest.LastIndexOf('.', end - 1);
                    }

                    if (!matched)
                    {
                        return false;
                    }

                    break;
                case JsonArray array:
                    var dot = rest.IndexOf('.', StringComparison.Ordinal);
                    var segment = dot < 0 ? rest : rest[..dot];
                    var remainder = dot < 0 ? "" : rest[(dot + 1)..];
                    if (segment == "*")
                    {
                        var collected = new JsonArray();
                        foreach (var item in array)
                        {
                            if (!Resolve(item, remainder, out var each))
                            {
                                return false;
                            }

                            collected.Add(each?.DeepClone());
                        }

                        value = collected;
                        return true;
                    }

                    if (!int.TryParse(segment, NumberStyles.None, CultureInfo.InvariantCulture, out var index) || index >= array.Count)
                    {
                        return false;
                    }

                    value = array[index];
                    rest = remainder;
                    break;
                default:
                    return false;
            }
        }

        return true;
    }

    private static bool Same(JsonNode? actual, JsonNode? expected)
    {
        if (actual is null || expected is null)
        {
            return actual is null && expected is null;
        }

        if (TryNumber(actual, out var a) && TryNumber(expected, out var b))
        {
            return a == b;
        }

        return JsonNode.DeepEquals(actual, expected);
    }

    private static int Compare(JsonNode? actual, JsonNode? expected) =>
        TryNumber(actual, out var a) && TryNumber(expected, out var b)
            ? a.CompareTo(b)
            : throw new FormatException($"cannot compare {Show(actual)} with {Show(expected)} as numbers");

    // Offsets arrive as decimal strings (u64), other numbers as JSON numbers: both compare numerically.
    private static bool TryNumber(JsonNode? node, out decimal number)
    {
        number = 0;
        if (node is not JsonValue value)
        {
            return false;
        }

        // A value computed by the runner (a time mark plus an offset) wraps a CLR long, which TryGetValue<decimal>
        // does not convert; its JSON text parses for every numeric kind.
        var text = value.GetValueKind() switch
        {
            System.Text.Json.JsonValueKind.Number => value.ToJsonString(),
            System.Text.Json.JsonValueKind.String => value.GetValue<string>(),
            _ => null,
        };
        return text is not null
               && decimal.TryParse(text, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint | NumberStyles.AllowExponent,
                   CultureInfo.InvariantCulture, out number);
    }

    private static bool Multiset(JsonNode? actual, JsonNode? expected)
    {
        if (actual is not JsonArray a || expected is not JsonArray e || a.Count != e.Count)
        {
            return false;
        }

        var remaining = e.ToList();
        foreach (var item in a)
        {
            var match = remaining.FindIndex(r => Same(item, r));
            if (match < 0)
            {
                return false;
            }

            remaining.RemoveAt(match);
        }

        return true;
    }

    private static bool Set(JsonNode? actual, JsonNode? expected) =>
        actual is JsonArray a && expected is JsonArray e
        && a.All(x => e.Any(y => Same(x, y))) && e.All(y => a.Any(x => Same(x, y)));

    private static bool JsonEquals(JsonNode? actual, JsonNode? expected)
    {
        try
        {
            return actual is not null && JsonNode.DeepEquals(JsonNode.Parse(actual.ToString()), expected);
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private static string Show(JsonNode? node) => node?.ToJsonString() ?? "null";
}
