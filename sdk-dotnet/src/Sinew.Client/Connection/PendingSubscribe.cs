// A Subscribe waiting for its SubscribeOk, carrying the sink its deliveries go to.
using Sinew.Protocol.Messages;

namespace Sinew.Client.Connection;

/// <summary>A pending Subscribe. The read loop registers <see cref="Sink"/> under the new subscription id before
/// completing the request, so no delivery can arrive for a subscription the connection does not know.</summary>
internal sealed class PendingSubscribe(string operation, IDeliverySink sink) : PendingRequest<IWireMessage>
{
    public IDeliverySink Sink { get; } = sink;

    public override string Describe() => operation;

    public override void Complete(IWireMessage reply) => Succeed(reply);
}
