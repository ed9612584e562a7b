// Sequential, buffered reading of one segment file during recovery.
using Microsoft.Win32.SafeHandles;

namespace Sinew.Broker.Storage;

/// <summary>Reads framed records from a segment through a sliding window, so recovery makes a few
/// large reads instead of two small ones per record.</summary>
internal sealed class SegmentReader(SafeFileHandle handle, long length)
{
    private const int WindowSize = 1 << 20;
    private byte[] _window = new byte[WindowSize];
    private long _windowStart;
    private int _windowLength;

    /// <summary>Reads the record at <paramref name="position"/>.</summary>
    /// <returns>Null on success, otherwise what is wrong with the bytes there.</returns>
    public string? TryRead(long position, out ReadOnlyMemory<byte> body, out long next)
    {
        body = default;
        next = position;
        if (length - position < RecordFraming.HeaderSize)
        {
            return "a record header cut short";
        }

        var header = Window(position, RecordFraming.HeaderSize);
        if (!RecordFraming.TryReadHeader(header.Span, out var bodyLength, out var crc))
        {
            return "an impossible record length";
        }

        if (length - position - RecordFraming.HeaderSize < bodyLength)
        {
            return "a record body cut short";
        }

        body = Window(position + RecordFraming.HeaderSize, bodyLength);
        if (!RecordFraming.BodyMatches(body.Span, crc))
        {
            return "a record failing its checksum";
        }

        next = position + RecordFraming.HeaderSize + bodyLength;
        return null;
    }

    /// <summary>Whether a well-formed record starts anywhere at or after <paramref name="from"/>: the test
    /// that tells damage in fsynced data (valid records follow) from a torn, never-fsynced tail.</summary>
    public bool AnyValidRecordAfter(long from)
    {
        for (var position = from; length - position >= RecordFraming.HeaderSize + 1; position++)
        {
            if (TryRead(position, out var body, out _) is null && body.Length > 0
                && Enum.IsDefined((RecordType)body.Span[0]))
            {
                return true;
            }
        }

        return false;
    }

    private ReadOnlyMemory<byte> Window(long position, int count)
    {
        if (position < _windowStart || position + count > _windowStart + _windowLength)
        {
            if (count > _window.Length)
            {
                _window = new byte[count];
            }

            _windowStart = position;
            _windowLength = 0;
            var toRead = (int)Math.Min(_window.Length, length - position);
            while (_windowLength < toRead)
            {
                var read = RandomAccess.Read(handle, _window.AsSpan(_windowLength, toRead - _windowLength), position + _windowLength);
                if (read == 0)
                {
                    break;
                }

                _windowLength += read;
            }
        }

        return _window.AsMemory((int)(position - _windowStart), count);
    }
}
