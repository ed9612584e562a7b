// Loads the shared wire-vector files; frame vectors come from their expanded companions, where
// every byte value is hex.
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Sinew.Protocol.Tests;

/// <summary>The repository's wire-vectors directory and its files, loaded once.</summary>
internal static class VectorFiles
{
    private const int SmallFrameBytes = 4096;

    private static readonly Lazy<string> LazyRoot = new(FindRoot);
    private static readonly Lazy<IReadOnlyList<FrameVectorFile>> LazyFrameFiles = new(LoadFrameFiles);

    public static string Root => LazyRoot.Value;

    public static IReadOnlyList<FrameVectorFile> FrameFiles => LazyFrameFiles.Value;

    public static IEnumerable<JsonObject> Positive =>
        FrameFiles.SelectMany(f => f.Vectors).Where(v => v.ContainsKey("op"));

    /// <summary>The positive vectors short enough to split or feed at every offset: all but the 1 MiB one.</summary>
    public static IEnumerable<JsonObject> SmallPositive =>
        Positive.Where(v => ((string)v["hex"]!).Length / 2 <= SmallFrameBytes);

    public static IEnumerable<JsonObject> Negative =>
        FrameFiles.SelectMany(f => f.Vectors).Where(v => v.ContainsKey("error"));

    public static JsonObject Load(string relativePath) =>
        JsonNode.Parse(File.ReadAllText(Path.Combine(Root, relativePath)))!.AsObject();

    public static JsonObject Protocol => Load("protocol.json");

    public static int MaxFrameBytes => FrameFiles[0].MaxFrameBytes;

    public static JsonObject ById(string id) =>
        FrameFiles.SelectMany(f => f.Vectors).Single(v => (string)v["id"]! == id);

    public static byte[] Bytes(JsonNode? hex) => Convert.FromHexString((string)hex!);

    /// <summary>Reads an expanded companion, replacing each sidecar reference by the hex of its file once
    /// its digest and length match.</summary>
    public static JsonObject LoadCompanion(string path) =>
        Resolve(JsonNode.Parse(File.ReadAllText(path)), Path.GetDirectoryName(path)!)!.AsObject();

    // A reference is {"file", "length", "sha256"}; no record has exactly these fields and a string map
    // has no numbers, so it is recognised without knowing the op.
    private static JsonNode? Resolve(JsonNode? node, string directory) => node switch
    {
        JsonObject { Count: 3 } reference when reference["length"]?.GetValueKind() == JsonValueKind.Number && reference["file"] is JsonValue file =>
            Sidecar(File.ReadAllBytes(Path.Combine(directory, (string)file!)), reference),
        JsonObject obj => new JsonObject(obj.Select(p => KeyValuePair.Create(p.Key, Resolve(p.Value, directory)))),
        JsonArray array => new JsonArray(array.Select(item => Resolve(item, directory)).ToArray()),
        _ => node?.DeepClone(),
    };

    private static JsonValue Sidecar(byte[] bytes, JsonObject reference) =>
        bytes.Length == (long)reference["length"]! && Convert.ToHexStringLower(SHA256.HashData(bytes)) == (string?)reference["sha256"]
            ? JsonValue.Create(Convert.ToHexStringLower(bytes))
            : throw new InvalidDataException($"{reference["file"]} does not match its digest and length");

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
        Directory.GetFiles(Path.Combine(Root, "frames", "expanded"), "*.json")
            .Order(StringComparer.Ordinal)
            .Select(path =>
            {
                var json = LoadCompanion(path);
                return new FrameVectorFile(
                    Path.GetFileName(path),
                    (int)json["count"]!,
                    (int)json["max_frame_bytes"]!,
                    json["vectors"]!.AsArray().Select(v => v!.AsObject()).ToList());
            })
            .ToList();
}

internal sealed record FrameVectorFile(string Name, int Count, int MaxFrameBytes, IReadOnlyList<JsonObject> Vectors);
