// Streaming: frames arrive in arbitrary pieces, several frames share a buffer, and bad headers are
// refused before their bodies arrive.
using System.Buffers;
using System.Text.Json.Nodes;
using Sinew.Protocol.Framing;

namespace Sinew.Protocol.Tests;

public class FrameReaderTests
{
    public static TheoryData<string> SmallPositiveIds() =>
        new(VectorFiles.SmallPositive.Select(v => (string)v["id"]!));

    [Theory]
    [MemberData(nameof(SmallPositiveIds))]
    public void A_frame_split_into_two_segments_at_any_offset_decodes_the_same(string id)
    {
        var vector = VectorFiles.ById(id);
        var bytes = VectorFiles.Bytes(vector["hex"]);
        var expected = vector["fields"]!;
        for (var cut = 1; cut < bytes.Length; cut++)
        {
            var buffer = SegmentedSequence.Split(bytes, cut);
            Assert.True(FrameReader.TryReadFrame(ref buffer, VectorFiles.MaxFrameBytes, out var header, out var reserved, out var body));
            Assert.True(buffer.IsEmpty);
            var message = FrameDecoder.DecodeBody(header, reserved, body);
            Assert.True(JsonNode.DeepEquals(expected, WireJson.ToFields(message)), $"{id} split at {cut}");
        }
    }

    [Theory]
    [MemberData(nameof(SmallPositiveIds))]
    public void A_frame_in_one_byte_segments_decodes_the_same(string id)
    {
        var vector = VectorFiles.ById(id);
        var bytes = VectorFiles.Bytes(vector["hex"]);
        var buffer = SegmentedSequence.Split(bytes, Enumerable.Range(1, bytes.Length).ToArray());
        Assert.True(FrameReader.TryReadFrame(ref buffer, VectorFiles.MaxFrameBytes, out var header, out var reserved, out var body));
        var message = FrameDecoder.DecodeBody(header, reserved, body);
        Assert.True(JsonNode.DeepEquals(vector["fields"]!, WireJson.ToFields(message)));
    }

    [Fact]
    public void A_reader_fed_one_byte_at_a_time_yields_each_frame_once_it_is_complete()
    {
        var frames = VectorFiles.SmallPositive.Where(v => !v.ContainsKey("canonical_hex")).Take(20).ToList();
        var stream = frames.SelectMany(v => VectorFiles.Bytes(v["hex"])).ToArray();
        var decoded = new List<string>();
        var pending = new List<byte>();
        foreach (var b in stream)
        {
            pending.Add(b);
            var buffer = new ReadOnlySequence<byte>(pending.ToArray());
            while (FrameReader.TryReadFrame(ref buffer, VectorFiles.MaxFrameBytes, out var header, out var reserved, out var body))
            {
                decoded.Add(FrameDecoder.DecodeBody(header, reserved, body).Opcode.ToString());
                pending = buffer.ToArray().ToList();
            }
        }

        Assert.Empty(pending);
        Assert.Equal(frames.Select(v => (string)v["op"]!), decoded);
    }

    [Fact]
    public void A_foreign_header_is_refused_as_soon_as_sixteen_bytes_arrive()
    {
        var buffer = new ReadOnlySequence<byte>("GET / HTTP/1.1\r\n"u8.ToArray());
        var error = Assert.Throws<FrameDecodeException>(() => FrameReader.TryReadFrame(ref buffer, VectorFiles.MaxFrameBytes, out _, out _, out _));
        Assert.Equal(DecodeErrorKind.BadMagic, error.Kind);
    }

    [Fact]
    public void An_oversized_frame_is_refused_from_its_header_without_waiting_for_the_body()
    {
        var header = new byte[FrameHeader.Size];
        new FrameHeader(1, Opcode.Publish, FrameFlags.None, 1, 1025).Write(header);
        var buffer = new ReadOnlySequence<byte>(header);
        var error = Assert.Throws<FrameDecodeException>(() => FrameReader.TryReadFrame(ref buffer, 1024, out _, out _, out _));
        Assert.Equal(DecodeErrorKind.FrameTooLarge, error.Kind);
    }

    [Fact]
    public void An_incomplete_frame_leaves_the_buffer_untouched()
    {
        var bytes = VectorFiles.Bytes(VectorFiles.ById("publish/all-optional-fields")["hex"]);
        for (var length = 0; length < bytes.Length; length++)
        {
            var buffer = new ReadOnlySequence<byte>(bytes, 0, length);
            Assert.False(FrameReader.TryReadFrame(ref buffer, VectorFiles.MaxFrameBytes, out _, out _, out _));
            Assert.Equal(length, buffer.Length);
        }
    }
}
