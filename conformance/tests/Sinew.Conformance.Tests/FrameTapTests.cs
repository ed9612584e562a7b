// The frame tap reads a byte stream as it passes: frames cut anywhere are still reported whole, a body it
// cannot decode still names its op, and bytes that are not frames stop the reading, not the stream.
using Sinew.Conformance.Observation;
using Sinew.Protocol.Framing;
using Sinew.Protocol.Messages;

namespace Sinew.Conformance.Tests;

public class FrameTapTests
{
    private static byte[] Encode(IWireMessage message, uint requestId) => FrameEncoder.EncodeToArray(message, requestId);

    [Fact]
    public void Frames_cut_at_every_byte_are_reported_once_each_in_order()
    {
        var stream = Encode(Ping.Instance, 7).Concat(Encode(new DeclareQueue("orders"), 8)).ToArray();
        for (var cut = 0; cut <= stream.Length; cut++)
        {
            var seen = new List<(Opcode, uint)>();
            var tap = new FrameTap((header, message) => seen.Add((header.Opcode, header.RequestId)));
            tap.Feed(stream.AsSpan(0, cut));
            tap.Feed(stream.AsSpan(cut));
            Assert.Equal([(Opcode.Ping, 7u), (Opcode.DeclareQueue, 8u)], seen);
        }
    }

    [Fact]
    public void A_well_framed_body_that_does_not_decode_is_reported_without_a_message()
    {
        var frame = Encode(new DeclareQueue("orders"), 3);
        frame[FrameHeader.Size] = 0xC1; // a type byte MessagePack never uses
        IWireMessage? decoded = Ping.Instance;
        var tap = new FrameTap((_, message) => decoded = message);
        tap.Feed(frame);
        Assert.Null(decoded);
        Assert.False(tap.LostSync);
    }

    [Fact]
    public void Bytes_that_are_not_frames_stop_the_reading()
    {
        var count = 0;
        var tap = new FrameTap((_, _) => count++);
        tap.Feed("GET / HTTP/1.1\r\nHost: x\r\n\r\n"u8);
        tap.Feed(Encode(Ping.Instance, 1));
        Assert.True(tap.LostSync);
        Assert.Equal(0, count);
    }
}
