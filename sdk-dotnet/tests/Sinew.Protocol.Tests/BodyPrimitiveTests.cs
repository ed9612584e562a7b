// The BodyReader and BodyWriter methods no field of today's registry uses (optional u8, u16 and bool,
// a required string map, list elements of every type): a new field of any wire type must need only
// the generator, so each is written and read back here, absent and present.
using System.Buffers;
using MessagePack;
using Sinew.Protocol.Encoding;
using Sinew.Protocol.Framing;
using Sinew.Protocol.Messages;

namespace Sinew.Protocol.Tests;

public class BodyPrimitiveTests
{
    private delegate void Fill(ref MessagePackWriter writer);

    [Fact]
    public void Optional_small_integers_and_bools_round_trip_and_nil_reads_as_absent()
    {
        var body = Body((ref MessagePackWriter w) =>
        {
            w.WriteArrayHeader(6);
            BodyWriter.OptionalUnsigned(ref w, (byte?)200);
            BodyWriter.OptionalUnsigned(ref w, (byte?)null);
            BodyWriter.OptionalUnsigned(ref w, (ushort?)65_535);
            BodyWriter.OptionalUnsigned(ref w, (ushort?)null);
            BodyWriter.OptionalBool(ref w, false);
            BodyWriter.OptionalBool(ref w, null);
        });
        Assert.Equal(new byte[] { 0x96, 0xcc, 0xc8, 0xc0, 0xcd, 0xff, 0xff, 0xc0, 0xc2, 0xc0 }, body);

        var reader = new BodyReader(new ReadOnlySequence<byte>(body));
        var n = reader.OpenRecord("test");
        Assert.Equal((byte)200, reader.OptionalU8(ref n, "a"));
        Assert.Null(reader.OptionalU8(ref n, "b"));
        Assert.Equal((ushort)65_535, reader.OptionalU16(ref n, "c"));
        Assert.Null(reader.OptionalU16(ref n, "d"));
        Assert.False(reader.OptionalBool(ref n, "e"));
        Assert.Null(reader.OptionalBool(ref n, "f"));
        Assert.Null(reader.OptionalBool(ref n, "past_the_end"));
        Assert.Equal(0, n);
    }

    [Fact]
    public void An_optional_u8_above_255_is_the_wrong_type()
    {
        var body = Body((ref MessagePackWriter w) =>
        {
            w.WriteArrayHeader(1);
            w.Write(256);
        });
        var error = Read(body, (ref BodyReader r, ref int n) => r.OptionalU8(ref n, "level"));
        Assert.Equal(DecodeErrorKind.WrongType, error.Kind);
        Assert.Equal("wrong_type: level is 256, above its maximum 255", error.Message);
    }

    [Fact]
    public void A_required_string_map_is_written_sorted_and_read_back_and_its_absence_is_a_missing_field()
    {
        var map = new Dictionary<string, string> { ["b"] = "2", ["a"] = "1" };
        var body = Body((ref MessagePackWriter w) =>
        {
            w.WriteArrayHeader(1);
            BodyWriter.StringMap(ref w, map);
        });
        Assert.Equal(new byte[] { 0x91, 0x94, 0xa1, (byte)'a', 0xa1, (byte)'1', 0xa1, (byte)'b', 0xa1, (byte)'2' }, body);

        var reader = new BodyReader(new ReadOnlySequence<byte>(body));
        var n = reader.OpenRecord("test");
        Assert.Equal(map, reader.StringMap(ref n, "labels"));

        var error = Read([0x90], (ref BodyReader r, ref int count) => r.StringMap(ref count, "labels"));
        Assert.Equal("missing_field: required field labels is missing", error.Message);
    }

    [Fact]
    public void Lists_of_every_element_type_read_back()
    {
        var body = Body((ref MessagePackWriter w) =>
        {
            w.WriteArrayHeader(6);
            w.WriteArrayHeader(2);
            w.Write(7);
            w.Write(255);
            w.WriteArrayHeader(1);
            w.Write(65_535);
            w.WriteArrayHeader(2);
            w.Write(true);
            w.Write(false);
            w.WriteArrayHeader(1);
            w.Write(new byte[] { 1, 2, 3 });
            w.WriteArrayHeader(1);
            BodyWriter.StringMap(ref w, new Dictionary<string, string> { ["k"] = "v" });
            w.WriteArrayHeader(2);
            w.Write((byte)AckMode.Auto);
            w.Write((byte)AckMode.Manual);
        });

        var reader = new BodyReader(new ReadOnlySequence<byte>(body));
        var n = reader.OpenRecord("test");
        Assert.Equal(new byte[] { 7, 255 }, reader.List(ref n, "u8s", static (ref BodyReader r) => r.U8Element("u8s")));
        Assert.Equal(new ushort[] { 65_535 }, reader.List(ref n, "u16s", static (ref BodyReader r) => r.U16Element("u16s")));
        Assert.Equal(new[] { true, false }, reader.List(ref n, "bools", static (ref BodyReader r) => r.BoolElement("bools")));
        Assert.Equal(new byte[] { 1, 2, 3 }, Assert.Single(reader.List(ref n, "bins", static (ref BodyReader r) => r.BinElement("bins"))).ToArray());
        Assert.Equal("v", Assert.Single(reader.List(ref n, "maps", static (ref BodyReader r) => r.StringMapElement("maps")))["k"]);
        Assert.Equal(new[] { AckMode.Auto, AckMode.Manual }, reader.List(ref n, "modes", static (ref BodyReader r) => r.EnumElement<AckMode>("modes")));
        Assert.Equal(0, n);
    }

    [Fact]
    public void A_list_of_lists_reads_back_and_names_a_bad_inner_element()
    {
        var body = Body((ref MessagePackWriter w) =>
        {
            w.WriteArrayHeader(1);
            w.WriteArrayHeader(2);
            w.WriteArrayHeader(2);
            w.Write(1);
            w.Write(2);
            w.WriteArrayHeader(0);
        });
        var reader = new BodyReader(new ReadOnlySequence<byte>(body));
        var n = reader.OpenRecord("test");
        var rows = reader.List(ref n, "rows", static (ref BodyReader r) => r.ListElement("rows", static (ref BodyReader r1) => r1.U32Element("rows")));
        Assert.Equal(2, rows.Count);
        Assert.Equal(new[] { 1u, 2u }, rows[0]);
        Assert.Empty(rows[1]);

        var bad = Body((ref MessagePackWriter w) =>
        {
            w.WriteArrayHeader(1);
            w.WriteArrayHeader(1);
            w.WriteArrayHeader(2);
            w.Write(1);
            w.WriteNil();
        });
        var error = Read(bad, (ref BodyReader r, ref int count) =>
            r.List(ref count, "rows", static (ref BodyReader r0) => r0.ListElement("rows", static (ref BodyReader r1) => r1.U32Element("rows"))));
        Assert.Equal("missing_field: rows[1] is nil", error.Message);
    }

    [Fact]
    public void An_enum_element_outside_the_enum_is_an_invalid_value()
    {
        var body = Body((ref MessagePackWriter w) =>
        {
            w.WriteArrayHeader(1);
            w.WriteArrayHeader(1);
            w.Write(9);
        });
        var error = Read(body, (ref BodyReader r, ref int n) => r.List(ref n, "modes", static (ref BodyReader e) => e.EnumElement<AckMode>("modes")));
        Assert.Equal("invalid_value: modes is 9, not a defined AckMode", error.Message);
    }

    private delegate object? FieldRead(ref BodyReader reader, ref int remaining);

    private static byte[] Body(Fill fill)
    {
        var output = new ArrayBufferWriter<byte>();
        var writer = new MessagePackWriter(output);
        fill(ref writer);
        writer.Flush();
        return output.WrittenSpan.ToArray();
    }

    private static FrameDecodeException Read(byte[] body, FieldRead read)
    {
        BodyStructure.Validate(new ReadOnlySequence<byte>(body));
        return Assert.Throws<FrameDecodeException>(() =>
        {
            var reader = new BodyReader(new ReadOnlySequence<byte>(body));
            var n = reader.OpenRecord("test");
            read(ref reader, ref n);
        });
    }
}
