// Tracing against the scripted fake: trace context the client would add is left out when it would exceed the header
// limit a broker announced. Publish and process spans, and the context carried through a real broker, are in
// Broker/TracingOnRealBrokerTests.cs.
using System.Diagnostics;
using Sinew.Client.Tests.Fakes;
using Wire = Sinew.Protocol.Messages;

namespace Sinew.Client.Tests.Engine;

public class TracingTests
{
    [Fact(Timeout = 10_000)]
    public async Task Trace_context_is_not_added_when_it_would_exceed_the_header_limit()
    {
        await using var broker = new FakeBroker { AnswerHello = ScriptedReplies.HelloOk(limits: new Wire.Limits(1 << 24, 1024, 1, 1000)) };
        broker.Answer<Wire.DeclareQueue>(d => ScriptedReplies.DeclareQueueOk(d));
        broker.Answer<Wire.Publish>(_ => ScriptedReplies.PublishOk((0, 0)));
        await using var client = await TestClients.ConnectAsync(broker);
        var topic = $"full-{Guid.NewGuid():N}";
        await client.DeclareQueueAsync(topic);
        using (new Activity("request").SetIdFormat(ActivityIdFormat.W3C).Start())
        {
            await client.CreatePublisher(topic).PublishAsync(OutgoingMessage.FromText("a").WithHeader("tenant", "acme"));
        }

        Assert.Equal(["tenant"], broker.ReceivedOf<Wire.Publish>().Single(p => p.Topic == topic).Message.Headers!.Keys);
    }
}
