// Hostile input: whatever bytes arrive, decoding ends in a value or a FrameDecodeException, never in
// another exception, a hang or an oversized allocation.
using System.Buffers.Binary;
using Sinew.Protocol.Errors;
using Sinew.Protocol.Framing;
using Sinew.Protocol.Messages;

namespace Sinew.Protocol.Tests;

public class DecoderRobustnessTests
{
    [Fact]
    public void Random_bytes_behind_a_valid_header_never_escape_as_another_exception()
    {
        var random = new Random(7);
        var opcodes = Enum.GetValues<Opcode>();
        for (var i = 0; i < 20_000; i++)
        {
            var body = new byte[random.Next(0, 64)];
            random.NextBytes(body);
            // Bias towards arrays so decoding gets past the first byte often.
            if (body.Length > 0 && random.Next(2) == 0)
            {
                body[0] = (byte)(0x90 | random.Next(0, 10));
            }

            DecodeOrDecodeError(Frame(opcodes[random.Next(opcodes.Length)], body));
        }
    }

    [Fact]
    public void Vectors_with_several_random_bytes_changed_or_cut_short_never_escape_as_another_exception()
    {
        var random = new Random(11);
        var frames = VectorFiles.SmallPositive.Select(v => VectorFiles.Bytes(v["hex"])).ToList();
        for (var i = 0; i < 20_000; i++)
        {
            var frame = (byte[])frames[random.Next(frames.Count)].Clone();
            for (var n = random.Next(1, 4); n > 0; n--)
            {
                frame[random.Next(frame.Length)] = (byte)random.Next(256);
            }

            DecodeOrDecodeError(frame);
            DecodeOrDecodeError(frame.AsSpan(0, random.Next(frame.Length)).ToArray());
        }
    }

    [Fact]
    public void A_body_nested_deeper_than_the_limit_is_malformed()
    {
        var body = Enumerable.Repeat((byte)0x91, FrameLimits.MaxNestingDepth + 1).Append((byte)0x90).ToArray();
        var error = Assert.Throws<FrameDecodeException>(() => FrameDecoder.Decode(Frame(Opcode.Ping, body), FrameLimits.DefaultMaxFrameBytes));
        Assert.Equal(DecodeErrorKind.MalformedBody, error.Kind);
    }

    [Fact]
    public void A_body_nested_to_the_limit_is_accepted_as_extra_fields()
    {
        var body = new byte[] { 0x91 }.Concat(Enumerable.Repeat((byte)0x91, FrameLimits.MaxNestingDepth - 2)).Append((byte)0x90).ToArray();
        var frame = FrameDecoder.Decode(Frame(Opcode.Ping, body), FrameLimits.DefaultMaxFrameBytes);
        Assert.IsType<Ping>(frame.Message);
    }

    [Fact]
    public void An_array_header_claiming_four_billion_elements_is_malformed_not_allocated()
    {
        var body = new byte[] { 0xdd, 0xff, 0xff, 0xff, 0xff, 0x01 };
        var error = Assert.Throws<FrameDecodeException>(() => FrameDecoder.Decode(Frame(Opcode.Ack, body), FrameLimits.DefaultMaxFrameBytes));
        Assert.Equal(DecodeErrorKind.MalformedBody, error.Kind);
    }

    [Fact]
    public void Input_longer_than_one_frame_is_a_caller_error_of_the_single_frame_decoder()
    {
        var frame = FrameEncoder.EncodeToArray(Ping.Instance, 1);
        Assert.Throws<ArgumentException>(() => FrameDecoder.Decode(frame.Concat(frame).ToArray(), FrameLimits.DefaultMaxFrameBytes));
    }

    [Fact]
    public void Encoding_a_string_with_an_unpaired_surrogate_is_refused()
    {
        Assert.Throws<ArgumentException>(() => FrameEncoder.EncodeToArray(new GoingAway(1, "bad \ud800")));
    }

    [Fact]
    public void Encoding_a_flag_the_op_does_not_allow_is_refused()
    {
        Assert.Throws<ArgumentException>(() => FrameEncoder.EncodeToArray(Ping.Instance, 1, FrameFlags.Confirm));
    }

    [Fact]
    public void Error_codes_unknown_to_this_version_keep_their_number()
    {
        Assert.False(ErrorCodes.TryGet(200, out _));
        Assert.Equal("unknown(200)", ErrorCodes.NameOf(200));
        Assert.Equal("stale_delivery", ErrorCodes.NameOf(10));
    }

    private static byte[] Frame(Opcode opcode, byte[] body)
    {
        var frame = new byte[FrameHeader.Size + body.Length];
        new FrameHeader(1, opcode, FrameFlags.None, 1, (uint)body.Length).Write(frame);
        body.CopyTo(frame, FrameHeader.Size);
        Assert.Equal((uint)body.Length, BinaryPrimitives.ReadUInt32BigEndian(frame.AsSpan(12)));
        return frame;
    }

    // Reads the bytes the way a connection does: frame after frame until the input runs out.
    private static void DecodeOrDecodeError(byte[] input)
    {
        var buffer = new System.Buffers.ReadOnlySequence<byte>(input);
        try
        {
            while (FrameReader.TryReadFrame(ref buffer, FrameLimits.DefaultMaxFrameBytes, out var header, out var reserved, out var body))
            {
                FrameDecoder.DecodeBody(header, reserved, body);
            }
        }
        catch (FrameDecodeException)
        {
            // The only acceptable failure.
        }
    }
}
