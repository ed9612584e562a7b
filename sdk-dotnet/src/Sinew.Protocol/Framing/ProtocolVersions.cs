// The protocol versions this library speaks.
namespace Sinew.Protocol.Framing;

/// <summary>Protocol versions this implementation can encode and decode.</summary>
public static class ProtocolVersions
{
    /// <summary>Lowest supported version.</summary>
    public const byte Min = 1;

    /// <summary>Highest supported version.</summary>
    public const byte Max = 1;

    /// <summary>The version <c>Hello</c>, <c>HelloOk</c> and the handshake's <c>Error</c> are always encoded in.</summary>
    public const byte Handshake = 1;

    /// <summary>Whether frames of <paramref name="version"/> can be decoded.</summary>
    public static bool IsSupported(byte version) => version is >= Min and <= Max;
}
