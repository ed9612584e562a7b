// The subscriptions of a deleted queue: the session state ends them (SessionState.EndSubscriptionOfDeletedQueue), and
// the connection tells the client why.
using Sinew.Broker.Queues;
using Sinew.Protocol.Messages;

namespace Sinew.Broker.Network;

internal sealed partial class Session
{
    public void TellSubscriptionDeleted(ServerSubscription subscription) =>
        Send(new SubscriptionClosed(subscription.Id, CloseReason.Deleted, $"queue {subscription.Queue.Name} was deleted"));
}
