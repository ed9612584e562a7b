// Opening a benchmark connection: the shared raw protocol connection (conformance/src/Sinew.RawProtocol), whose
// writes are batched by one writer loop, with the handshake done and every other frame handed to a callback.
using System.Net;
using Sinew.Protocol.Framing;
using Sinew.Protocol.Messages;
using Sinew.RawProtocol;

namespace Sinew.Bench;

internal static class BenchConnection
{
    /// <summary>Connects and says Hello; <paramref name="onFrame"/> then gets every frame but pings (answered) on
    /// the read loop.</summary>
    public static async Task<RawConnection> OpenAsync(IPEndPoint endpoint, Action<Frame> onFrame)
    {
        var connection = await RawConnection.OpenAsync(endpoint, TimeSpan.FromSeconds(10), onFrame);
        var welcome = await connection.HelloAsync(new Hello(1, 1, "sinew-bench", "1"), TimeSpan.FromSeconds(10));
        if (welcome.Message is not HelloOk)
        {
            await connection.DisposeAsync();
            throw new InvalidOperationException($"the broker refused the handshake: {RawConnection.Describe(welcome)}");
        }

        return connection;
    }
}
