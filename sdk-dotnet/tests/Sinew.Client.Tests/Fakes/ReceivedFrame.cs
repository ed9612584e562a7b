// A frame the fake broker received, with the connection it came on.

namespace Sinew.Client.Tests.Fakes;

using Sinew.Protocol.Framing;
using Sinew.Protocol.Messages;

internal sealed record ReceivedFrame(FakeConnection Connection, FrameHeader Header, IWireMessage Message)
{
    public uint RequestId => Header.RequestId;
}
