// A conformance scenario as written in a scenario file, and the set of all of them.
using System.Reflection;
using System.Text.Json.Nodes;

namespace Sinew.Conformance.Scenarios;

/// <summary>One scenario: an id, what it checks, the spec section it pins, the protocol ops it exercises,
/// what it needs from the environment, and its steps.</summary>
internal sealed record Scenario(
    string Id,
    string Title,
    string Description,
    string Spec,
    string Area,
    IReadOnlyList<string> Pins,
    IReadOnlyList<string> Requires,
    IReadOnlyList<string> Queues,
    IReadOnlyList<JsonObject> Steps);

/// <summary>The scenarios, loaded from a directory or from the copies embedded in the tool.</summary>
internal static class ScenarioSet
{
    public const string Schema = "sinew-conformance/1";

    public static IReadOnlyList<Scenario> Load(string? directory)
    {
        IEnumerable<(string Name, string Json)> files = directory is null
            ? Embedded("scenarios/")
            : Directory.GetFiles(directory, "*.json").Order(StringComparer.Ordinal).Select(f => (Path.GetFileName(f), File.ReadAllText(f)));
        var scenarios = new List<Scenario>();
        foreach (var (name, json) in files)
        {
            var document = JsonNode.Parse(json)?.AsObject() ?? throw new InvalidDataException($"{name}: empty");
            if ((string?)document["schema"] != Schema)
            {
                throw new InvalidDataException($"{name}: schema must be {Schema}");
            }

            var area = (string?)document["area"] ?? name;
            foreach (var node in document["scenarios"]!.AsArray())
            {
                var s = node!.AsObject();
                scenarios.Add(new Scenario(
                    Required(s, "id", name),
                    Required(s, "title", name),
                    Required(s, "description", name),
                    Required(s, "spec", name),
                    area,
                    Strings(s["pins"]),
                    Strings(s["requires"]),
                    Strings(s["queues"]),
                    s["steps"]!.AsArray().Select(step => step!.AsObject()).ToList()));
            }
        }

        var duplicate = scenarios.GroupBy(s => s.Id).FirstOrDefault(g => g.Count() > 1);
        return duplicate is null ? scenarios : throw new InvalidDataException($"scenario id {duplicate.Key} is used twice");
    }

    public static string EmbeddedText(string name)
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream(name)
                           ?? throw new FileNotFoundException($"resource {name} is not embedded");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    private static IEnumerable<(string, string)> Embedded(string prefix) =>
        Assembly.GetExecutingAssembly().GetManifestResourceNames()
            .Where(n => n.StartsWith(prefix, StringComparison.Ordinal))
            .Order(StringComparer.Ordinal)
            .Select(n => (n[prefix.Length..], EmbeddedText(n)));

    private static string Required(JsonObject node, string key, string file) =>
        (string?)node[key] ?? throw new InvalidDataException($"{file}: a scenario lacks '{key}'");

    private static List<string> Strings(JsonNode? node) =>
        node is JsonArray array ? array.Select(v => (string)v!).ToList() : [];
}
