// The three checks every positive vector must pass, returning failures instead of throwing so the
// mutation test can show that a changed byte is always noticed.
using System.Text.Json.Nodes;
using Sinew.Protocol.Framing;

namespace Sinew.Protocol.Tests;

internal static class PositiveVectorCheck
{
    public static List<string> Run(JsonObject vector, byte[] input, byte[] canonical, int maxFrameBytes)
    {
        var failures = new List<string>();
        var op = (string)vector["op"]!;
        var header = vector["header"]!;
        var requestId = (uint)header["request_id"]!;
        var flags = (FrameFlags)(ushort)header["flags"]!;
        var version = (byte)header["version"]!;

        // 0. input integrity: bytes a decoder skips are only pinned by the digest
        if (vector["hex_sha256"] is { } digest
            && Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(input)) != (string)digest!)
        {
            failures.Add("the input does not match hex_sha256");
        }

        // 1. fields -> bytes
        try
        {
            var built = WireJson.FromFields(op, vector["fields"]!);
            var encoded = FrameEncoder.EncodeToArray(built, requestId, flags, version);
            if (!encoded.AsSpan().SequenceEqual(canonical))
            {
                failures.Add($"encoding the fields gave {Describe(encoded)}, expected {Describe(canonical)}");
            }
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            failures.Add($"encoding the fields threw {e.GetType().Name}: {e.Message}");
        }

        // 2. bytes -> fields, and 3. re-encode
        try
        {
            var frame = FrameDecoder.Decode(input, maxFrameBytes);
            if (frame.Header.Opcode.ToString() != op)
            {
                failures.Add($"decoded opcode {frame.Header.Opcode}, expected {op}");
            }

            if (frame.Header.RequestId != requestId || frame.Header.Flags != flags || frame.Header.Version != version)
            {
                failures.Add($"decoded header {frame.Header}, expected {header.ToJsonString()}");
            }

            var decodedFields = WireJson.ToFields(frame.Message);
            var expectedFields = vector["fields"]!;
            if (!JsonNode.DeepEquals(decodedFields, expectedFields))
            {
                failures.Add($"decoded fields {Truncate(decodedFields.ToJsonString())} differ from {Truncate(expectedFields.ToJsonString())}");
            }

            var reencoded = FrameEncoder.EncodeToArray(frame.Message, frame.Header.RequestId, frame.Header.Flags, frame.Header.Version);
            if (!reencoded.AsSpan().SequenceEqual(canonical))
            {
                failures.Add($"re-encoding the decoded frame gave {Describe(reencoded)}, expected {Describe(canonical)}");
            }
        }
        catch (FrameDecodeException e)
        {
            failures.Add($"decoding threw {e.Message}");
        }
        catch (ArgumentException e)
        {
            failures.Add($"the input is not exactly one frame: {e.Message}");
        }

        return failures;
    }

    public static List<string> Run(JsonObject vector, int maxFrameBytes)
    {
        var input = VectorFiles.Bytes(vector["hex"]);
        var canonical = vector.ContainsKey("canonical_hex") ? VectorFiles.Bytes(vector["canonical_hex"]) : input;
        return Run(vector, input, canonical, maxFrameBytes);
    }

    private static string Describe(byte[] bytes) =>
        bytes.Length > 96 ? $"{bytes.Length} bytes starting {Convert.ToHexStringLower(bytes.AsSpan(0, 48))}" : Convert.ToHexStringLower(bytes);

    private static string Truncate(string s) => s.Length > 400 ? s[..400] + "…" : s;
}
