// Character classes shared by the name and header rules.
using System.Text;

namespace Sinew.Protocol.Naming;

internal static class TextRules
{
    /// <summary>C0 controls, DEL and C1 controls.</summary>
    public static bool IsControl(Rune rune) => rune.Value is <= 0x1F or (>= 0x7F and <= 0x9F);

    /// <summary>The UTF-8 length of a string, or false when it holds an unpaired surrogate.</summary>
    public static bool TryUtf8Length(string value, out int bytes)
    {
        bytes = 0;
        var span = value.AsSpan();
        while (!span.IsEmpty)
        {
            if (Rune.DecodeFromUtf16(span, out var rune, out var consumed) != System.Buffers.OperationStatus.Done)
            {
                return false;
            }

            bytes += rune.Utf8SequenceLength;
            span = span[consumed..];
        }

        return true;
    }
}
