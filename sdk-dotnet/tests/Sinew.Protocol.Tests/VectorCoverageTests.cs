// The coverage guard: no vector file, vector, op or error kind may go unexercised. Also writes the
// per-language summary line the build prints.
using System.Text.Json.Nodes;
using Sinew.Protocol.Framing;
using Sinew.Protocol.Naming;
using Sinew.Protocol.Routing;

namespace Sinew.Protocol.Tests;

public class VectorCoverageTests
{
    [Fact]
    public void Every_vector_file_holds_the_number_of_vectors_it_declares_and_ids_are_unique()
    {
        Assert.NotEmpty(VectorFiles.FrameFiles);
        foreach (var file in VectorFiles.FrameFiles)
        {
            Assert.True(file.Count == file.Vectors.Count, $"{file.Name} declares {file.Count} vectors but holds {file.Vectors.Count}");
        }

        var ids = VectorFiles.FrameFiles.SelectMany(f => f.Vectors).Select(v => (string)v["id"]!).ToList();
        Assert.Equal(ids.Count, ids.Distinct(StringComparer.Ordinal).Count());
    }

    [Fact]
    public void A_sidecar_reference_is_read_as_hex_only_when_its_file_matches_the_digest_and_length()
    {
        var scratch = Directory.CreateTempSubdirectory("sinew-companion-");
        try
        {
            Directory.CreateDirectory(Path.Combine(scratch.FullName, "bytes"));
            File.WriteAllBytes(Path.Combine(scratch.FullName, "bytes", "blob.bin"), [1, 2]);
            var companion = Path.Combine(scratch.FullName, "companion.json");
            void Write(byte[] content)
            {
                var digest = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(content));
                var reference = new JsonObject { ["file"] = "bytes/blob.bin", ["length"] = content.Length, ["sha256"] = digest };
                File.WriteAllText(companion, new JsonObject { ["vectors"] = new JsonArray(new JsonObject { ["hex"] = reference }) }.ToJsonString());
            }

            Write([1, 3]);
            Assert.Throws<InvalidDataException>(() => VectorFiles.LoadCompanion(companion));
            Write([1, 2]);
            Assert.Equal("0102", (string)VectorFiles.LoadCompanion(companion)["vectors"]![0]!["hex"]!);
        }
        finally
        {
            scratch.Delete(recursive: true);
        }
    }

    [Fact]
    public void Every_op_in_the_registry_has_a_positive_vector()
    {
        var ops = VectorFiles.Protocol["ops"]!.AsArray().Select(o => (string)o!["name"]!).ToHashSet();
        var covered = VectorFiles.Positive.Select(v => (string)v["op"]!).ToHashSet();
        Assert.Empty(ops.Except(covered));
        Assert.Empty(covered.Except(ops));
    }

    [Fact]
    public void Every_decode_error_kind_has_a_negative_vector()
    {
        var kinds = Enum.GetValues<DecodeErrorKind>().Select(k => k.WireName()).ToHashSet();
        var covered = VectorFiles.Negative.Select(v => (string)v["error"]!).ToHashSet();
        Assert.Empty(kinds.Except(covered));
        Assert.Empty(covered.Except(kinds));
    }

    [Fact]
    public void All_vectors_pass_and_the_summary_is_written()
    {
        var positive = 0;
        var nonCanonical = 0;
        var mutations = 0;
        var failures = new List<string>();
        foreach (var vector in VectorFiles.Positive)
        {
            failures.AddRange(PositiveVectorCheck.Run(vector, VectorFiles.MaxFrameBytes).Select(f => $"{vector["id"]}: {f}"));
            mutations += VectorMutationTests.Mutate(vector);
            positive++;
            nonCanonical += vector.ContainsKey("canonical_hex") ? 1 : 0;
        }

        var negative = 0;
        foreach (var vector in VectorFiles.Negative)
        {
            try
            {
                FrameDecoder.Decode(VectorFiles.Bytes(vector["hex"]), VectorFiles.MaxFrameBytes);
                failures.Add($"{vector["id"]}: decoded without error");
            }
            catch (FrameDecodeException e) when (e.Kind.WireName() == (string)vector["error"]!)
            {
                negative++;
            }
            catch (FrameDecodeException e)
            {
                failures.Add($"{vector["id"]}: {e.Kind.WireName()} instead of {vector["error"]}");
            }
        }

        var partitioning = VectorFiles.Load("partitioning.json")["vectors"]!.AsArray();
        foreach (var vector in partitioning)
        {
            var hash = Fnv1a.Hash64(Convert.FromHexString((string)vector!["key_hex"]!));
            if (hash.ToString(System.Globalization.CultureInfo.InvariantCulture) != (string)vector["fnv1a64"]!)
            {
                failures.Add($"{vector["id"]}: hash {hash}");
            }
        }

        var names = VectorFiles.Load("names.json");
        var nameCases = names["names"]!.AsArray();
        var headerCases = names["header_keys"]!.AsArray();
        var groupCases = names["groups"]!.AsArray();
        failures.AddRange(nameCases.Where(c => NameVectorTests.NameOutcome(c!) != (string?)c!["reason"]).Select(c => $"{c!["id"]}"));
        failures.AddRange(headerCases.Where(c => NameVectorTests.HeaderOutcome(c!) != (string?)c!["reason"]).Select(c => $"{c!["id"]}"));
        failures.AddRange(groupCases.Where(c => GroupNames.Normalise((string?)c!["group"]) != (string?)c["normalised"]).Select(c => $"{c!["id"]}"));

        var durations = VectorFiles.Load("durations.json");
        var durationCases = durations["durations"]!.AsArray();
        var heartbeatCases = durations["heartbeats"]!.AsArray();
        var announcedCases = durations["hello_ok_heartbeats"]!.AsArray();
        failures.AddRange(durationCases.Where(c => DurationVectorTests.DurationOutcome(c!) != (bool)c!["valid"]!).Select(c => $"{c!["id"]}"));
        failures.AddRange(heartbeatCases.Where(c => DurationVectorTests.HeartbeatOutcome(c!) != DurationVectorTests.U64(c!["negotiated"])).Select(c => $"{c!["id"]}"));
        failures.AddRange(announcedCases
            .Where(c => Timing.DurationRules.AcceptHeartbeat(DurationVectorTests.U64(c!["announced"])) != DurationVectorTests.U64(c["used"]))
            .Select(c => $"{c!["id"]}"));

        var totalOps = VectorFiles.Protocol["ops"]!.AsArray().Count;
        var coveredOps = VectorFiles.Positive.Select(v => (string)v["op"]!).Distinct().Count();

        Assert.True(failures.Count == 0, string.Join(Environment.NewLine, failures));
        var summary = $"wire-vectors csharp: positive={positive} non_canonical={nonCanonical} negative={negative} " +
                      $"mutations={mutations} partitioning={partitioning.Count} names={nameCases.Count} " +
                      $"header_keys={headerCases.Count} groups={groupCases.Count} durations={durationCases.Count} " +
                      $"heartbeats={heartbeatCases.Count + announcedCases.Count} ops={coveredOps}/{totalOps}";
        WriteSummary(summary);
    }

    // xunit does not show a passing test's output, so the line goes to a file the build prints.
    private static void WriteSummary(string summary)
    {
        var directory = Environment.GetEnvironmentVariable("SINEW_TEST_SUMMARY_DIR");
        if (string.IsNullOrEmpty(directory))
        {
            directory = Path.Combine(Path.GetDirectoryName(VectorFiles.Root)!, "artifacts", "test-results");
        }

        Directory.CreateDirectory(directory);
        File.WriteAllText(Path.Combine(directory, "wire-vectors-csharp.txt"), summary + Environment.NewLine);
    }
}
