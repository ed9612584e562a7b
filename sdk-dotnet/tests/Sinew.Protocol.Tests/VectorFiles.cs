// Loads the shared wire-vector files and expands byte templates.
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Sinew.Protocol.Tests;

/// <summary>The repository's wire-vectors directory and its files, loaded once.</summary>
internal static class VectorFiles
{
    private static readonly Lazy<string> LazyRoot = new(FindRoot);
    private static readonly Lazy<IReadOnlyList<FrameVectorFile>> LazyFrameFiles = new(LoadFrameFiles);

    public static string Root => LazyRoot.Value;

    public static IReadOnlyList<FrameVectorFile> FrameFiles => LazyFrameFiles.Value;

    public static IEnumerable<JsonObject> Positive =>
        FrameFiles.SelectMany(f => f.Vectors).Where(v => v.ContainsKey("op"));

    public static IEnumerable<JsonObject> Negative =>
        FrameFiles.SelectMany(f => f.Vectors).Where(v => v.ContainsKey("error"));

    public static JsonObject Load(string relativePath) =>
        JsonNode.Parse(File.ReadAllText(Path.Combine(Root, relativePath)))!.AsObject();

    public static JsonObject Protocol => Load("protocol.json");

    public static int MaxFrameBytes => FrameFiles[0].MaxFrameBytes;

    public static JsonObject ById(string id) =>
        FrameFiles.SelectMany(f => f.Vectors).Single(v => (string)v["id"]! == id);

    /// <summary>Expands a byte template: a hex string, a generator object, or an array of parts.</summary>
    public static byte[] Bytes(JsonNode? template) => template switch
    {
        JsonValue value => Convert.FromHexString(value.GetValue<string>()),
        JsonArray parts => parts.SelectMany(Bytes).ToArray(),
        JsonObject generator when (string?)generator["generate"] == "mod251" =>
            Enumerable.Range(0, (int)generator["length"]!).Select(i => (byte)(i % 251)).ToArray(),
        _ => throw new InvalidDataException($"not a byte template: {template?.ToJsonString()}"),
    };

    private static string FindRoot()
    {
        var fromEnvironment = Environment.GetEnvironmentVariable("SINEW_WIRE_VECTORS");
        if (!string.IsNullOrEmpty(fromEnvironment))
        {
            return fromEnvironment;
        }

        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "wire-vectors");
            if (File.Exists(Path.Combine(candidate, "protocol.json")))
            {
                return candidate;
            }
        }

        throw new DirectoryNotFoundException("wire-vectors/protocol.json not found above the test directory; set SINEW_WIRE_VECTORS.");
    }

    private static List<FrameVectorFile> LoadFrameFiles() =>
        Directory.GetFiles(Path.Combine(Root, "frames"), "*.json")
            .Order(StringComparer.Ordinal)
            .Select(path =>
            {
                var json = JsonNode.Parse(File.ReadAllText(path), documentOptions: new JsonDocumentOptions())!.AsObject();
                return new FrameVectorFile(
                    Path.GetFileName(path),
                    (int)json["count"]!,
                    (int)json["max_frame_bytes"]!,
                    json["vectors"]!.AsArray().Select(v => v!.AsObject()).ToList());
            })
            .ToList();
}

internal sealed record FrameVectorFile(string Name, int Count, int MaxFrameBytes, IReadOnlyList<JsonObject> Vectors);
