// What the client knows about routing to one queue.
namespace Sinew.Client.Routing;

/// <summary>A queue's partition count and, when learned from a topology, the routing version to stamp on
/// publishes routed with it.</summary>
internal sealed record QueueRoute(uint Partitions, ulong? RoutingVersion);
