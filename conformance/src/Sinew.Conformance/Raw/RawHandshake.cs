// The handshake every raw case starts with, failing the case when the broker does not welcome it.
using Sinew.Protocol.Messages;
using Sinew.RawProtocol;

namespace Sinew.Conformance.Raw;

internal static class RawHandshake
{
    /// <summary>Says Hello as the conformance tool and returns the broker's HelloOk.</summary>
    /// <exception cref="RawCaseFailure">The broker answered with something else.</exception>
    public static async Task<HelloOk> HandshakeAsync(this RawConnection connection, Auth? auth = null)
    {
        var reply = await connection.HelloAsync(new Hello(1, 1, "sinew-conformance", "1", auth)).ConfigureAwait(false);
        return reply.Message as HelloOk ?? throw new RawCaseFailure($"Hello was answered with {RawConnection.Describe(reply)}");
    }
}
