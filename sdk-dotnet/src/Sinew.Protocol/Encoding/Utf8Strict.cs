// UTF-8 that refuses invalid input instead of substituting U+FFFD.
using System.Text;

namespace Sinew.Protocol.Encoding;

/// <summary>A UTF-8 encoding that throws on invalid bytes and unpaired surrogates.</summary>
internal static class Utf8Strict
{
    public static readonly UTF8Encoding Instance = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
}
