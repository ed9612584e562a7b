// A frame the fake broker received, with the connection it came on and a way to answer it.

namespace Sinew.Client.Tests.Fakes;

using Sinew.Protocol.Framing;
using Sinew.Protocol.Messages;

internal sealed record ReceivedFrame(FakeConnection Connection, FrameHeader Header, IWireMessage Message)
{
    public uint RequestId => Header.RequestId;

    /// <summary>Answers this frame on its connection, with its request id.</summary>
    public void Reply(IWireMessage message) => Connection.Send(message, RequestId);
}
