// Flipping any byte of any positive vector must make its check fail, and the decoder must answer a
// flipped frame with a FrameDecodeException or a value, never another exception.
using System.Text.Json.Nodes;
using Sinew.Protocol.Framing;

namespace Sinew.Protocol.Tests;

public class VectorMutationTests
{
    private const int LargeVectorBytes = 4096;

    public static TheoryData<string> PositiveIds() => new(VectorFiles.Positive.Select(v => (string)v["id"]!));

    [Theory]
    [MemberData(nameof(PositiveIds))]
    public void Flipping_any_byte_of_a_positive_vector_is_detected(string id)
    {
        var vector = VectorFiles.ById(id);
        var tried = Mutate(vector);
        Assert.True(tried > 0);
    }

    /// <summary>Runs the check once per mutated byte of hex and canonical_hex; returns how many mutations ran.</summary>
    internal static int Mutate(JsonObject vector)
    {
        var input = VectorFiles.Bytes(vector["hex"]);
        var canonical = vector.ContainsKey("canonical_hex") ? VectorFiles.Bytes(vector["canonical_hex"]) : input;
        var tried = 0;
        foreach (var position in Positions(input.Length))
        {
            var mutated = (byte[])input.Clone();
            mutated[position] ^= 0xFF;
            var failures = PositiveVectorCheck.Run(vector, mutated, canonical, VectorFiles.MaxFrameBytes);
            Assert.True(failures.Count > 0, $"{vector["id"]}: flipping hex byte {position} went unnoticed");
            tried++;
        }

        if (!ReferenceEquals(canonical, input))
        {
            foreach (var position in Positions(canonical.Length))
            {
                var mutated = (byte[])canonical.Clone();
                mutated[position] ^= 0xFF;
                var failures = PositiveVectorCheck.Run(vector, input, mutated, VectorFiles.MaxFrameBytes);
                Assert.True(failures.Count > 0, $"{vector["id"]}: flipping canonical_hex byte {position} went unnoticed");
                tried++;
            }
        }

        return tried;
    }

    // Every position of ordinary vectors; for the 1 MiB one the header, both ends of the body and a fixed
    // pseudo-random sample, which keeps the run short without skipping any region.
    private static IEnumerable<int> Positions(int length)
    {
        if (length <= LargeVectorBytes)
        {
            return Enumerable.Range(0, length);
        }

        var random = new Random(20261123);
        return Enumerable.Range(0, FrameHeader.Size + 64)
            .Concat(Enumerable.Range(length - 64, 64))
            .Concat(Enumerable.Range(0, 64).Select(_ => random.Next(length)))
            .Distinct();
    }
}
