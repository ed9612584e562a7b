// The one exception the codec throws for bad input.
namespace Sinew.Protocol.Framing;

/// <summary>A frame could not be decoded. <see cref="Kind"/> says why, in the vocabulary of the
/// protocol specification; the message names the field where there is one.</summary>
public sealed class FrameDecodeException : Exception
{
    /// <summary>Creates the exception.</summary>
    public FrameDecodeException(DecodeErrorKind kind, string message, Exception? inner = null)
        : base($"{kind.WireName()}: {message}", inner)
    {
        Kind = kind;
    }

    /// <summary>Why decoding failed.</summary>
    public DecodeErrorKind Kind { get; }
}
