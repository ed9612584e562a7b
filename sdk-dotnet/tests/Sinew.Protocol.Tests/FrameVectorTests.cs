// Every positive and negative frame vector, one test case each.
using Sinew.Protocol.Framing;

namespace Sinew.Protocol.Tests;

public class FrameVectorTests
{
    public static TheoryData<string> PositiveIds() => new(VectorFiles.Positive.Select(v => (string)v["id"]!));

    public static TheoryData<string> NegativeIds() => new(VectorFiles.Negative.Select(v => (string)v["id"]!));

    [Theory]
    [MemberData(nameof(PositiveIds))]
    public void Positive_vector_encodes_decodes_and_reencodes_byte_for_byte(string id)
    {
        var failures = PositiveVectorCheck.Run(VectorFiles.ById(id), VectorFiles.MaxFrameBytes);
        Assert.True(failures.Count == 0, string.Join(Environment.NewLine, failures));
    }

    [Theory]
    [MemberData(nameof(NegativeIds))]
    public void Negative_vector_fails_with_its_decode_error_kind(string id)
    {
        var vector = VectorFiles.ById(id);
        var input = VectorFiles.Bytes(vector["hex"]);
        var error = Assert.Throws<FrameDecodeException>(() => FrameDecoder.Decode(input, VectorFiles.MaxFrameBytes));
        Assert.Equal((string)vector["error"]!, error.Kind.WireName());
    }
}
