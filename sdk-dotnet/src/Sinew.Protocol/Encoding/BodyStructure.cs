// Checks that a body is exactly one complete, not too deeply nested MessagePack value, before any
// field is read. Doing this first gives every codec the same answer for a body that is both cut
// short and wrongly typed, and keeps field readers from meeting the end of the input.
using System.Buffers;
using MessagePack;
using Sinew.Protocol.Framing;

namespace Sinew.Protocol.Encoding;

internal static class BodyStructure
{
    /// <exception cref="FrameDecodeException"><see cref="DecodeErrorKind.MalformedBody"/> or
    /// <see cref="DecodeErrorKind.TrailingBytes"/>.</exception>
    public static void Validate(ReadOnlySequence<byte> body)
    {
        if (body.IsEmpty)
        {
            throw new FrameDecodeException(DecodeErrorKind.MalformedBody, "the body is empty; even an op without fields sends an empty array");
        }

        var reader = new MessagePackReader(body);
        // Values still to be read at each open nesting level; iterative so depth cannot overflow the stack.
        Span<long> pending = stackalloc long[FrameLimits.MaxNestingDepth + 1];
        var depth = 0;
        pending[0] = 1;
        try
        {
            while (true)
            {
                while (pending[depth] == 0)
                {
                    if (depth == 0)
                    {
                        if (!reader.End)
                        {
                            throw new FrameDecodeException(DecodeErrorKind.TrailingBytes,
                                $"{body.Length - reader.Consumed} byte(s) follow the body's value inside the frame");
                        }

                        return;
                    }

                    depth--;
                }

                pending[depth]--;
                long children;
                switch (reader.NextMessagePackType)
                {
                    case MessagePackType.Array or MessagePackType.Map when depth == FrameLimits.MaxNestingDepth:
                        // The body array is level 1; a container here would be level 33, empty or not.
                        throw new FrameDecodeException(DecodeErrorKind.MalformedBody,
                            $"the body nests deeper than {FrameLimits.MaxNestingDepth} levels");
                    case MessagePackType.Array:
                        children = reader.ReadArrayHeader();
                        break;
                    case MessagePackType.Map:
                        children = 2L * reader.ReadMapHeader();
                        break;
                    case MessagePackType.Unknown:
                        throw new FrameDecodeException(DecodeErrorKind.MalformedBody,
                            $"0x{reader.NextCode:x2} is not a MessagePack type byte");
                    case MessagePackType.Extension:
                        // MessagePack defines the timestamp extension (-1) only with 4, 8 or 12 bytes.
                        var extension = reader.CreatePeekReader().ReadExtensionFormatHeader();
                        if (extension.TypeCode == -1 && extension.Length is not (4 or 8 or 12))
                        {
                            throw new FrameDecodeException(DecodeErrorKind.MalformedBody,
                                $"a timestamp extension of {extension.Length} bytes is not a MessagePack value");
                        }

                        reader.Skip();
                        continue;
                    default:
                        reader.Skip();
                        continue;
                }

                if (children > 0)
                {
                    pending[++depth] = children;
                }
            }
        }
        catch (EndOfStreamException e)
        {
            throw new FrameDecodeException(DecodeErrorKind.MalformedBody, "the body's MessagePack value is cut short", e);
        }
        catch (MessagePackSerializationException e)
        {
            throw new FrameDecodeException(DecodeErrorKind.MalformedBody, "the body is not valid MessagePack", e);
        }
        catch (ArgumentOutOfRangeException e)
        {
            // MessagePackReader.Skip reports a str, bin or ext whose length runs past the input this way.
            throw new FrameDecodeException(DecodeErrorKind.MalformedBody, "a value's length runs past the end of the body", e);
        }
        catch (OverflowException e)
        {
            throw new FrameDecodeException(DecodeErrorKind.MalformedBody, "a length in the body is too large", e);
        }
    }
}
