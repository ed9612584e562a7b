// What the broker shows an operator about each open protocol connection. The network layer fills it in; the
// HTTP layer, which sits beside the network layer and may not use it, lists it.
namespace Sinew.Broker;

/// <summary>Whether a session has a connection, or waits for its client to resume it.</summary>
internal enum ConnectionState
{
    Active,
    Dormant,
}

/// <summary>One open connection whose handshake is done, or a dormant session and the connection it last had.</summary>
/// <param name="Id">The connection's id, as the broker's log names it.</param>
/// <param name="SessionId">The session id sent in HelloOk.</param>
/// <param name="Remote">The client's address, when known.</param>
/// <param name="ClientName">Hello.client_name.</param>
/// <param name="ClientVersion">Hello.client_version.</param>
/// <param name="ConnectedAtMs">When the handshake completed (unix ms).</param>
/// <param name="Subscriptions">Open subscriptions.</param>
/// <param name="UnsettledDeliveries">Deliveries the session holds unsettled.</param>
/// <param name="TopologySentGeneration">The newest catalogue generation sent to the connection, pushed or in a
/// reply; null when none was sent.</param>
/// <param name="TopologyAckedGeneration">The generation the client last acknowledged with TopologyAck; null when it
/// never did.</param>
/// <param name="State">Active, or dormant: the connection broke and the session waits for its client to resume it.</param>
/// <param name="DormantUntilMs">While dormant, when its reconnect grace window ends (unix ms).</param>
internal sealed record ConnectionSummary(
    string Id,
    string SessionId,
    string? Remote,
    string ClientName,
    string ClientVersion,
    long ConnectedAtMs,
    int Subscriptions,
    int UnsettledDeliveries,
    long? TopologySentGeneration,
    long? TopologyAckedGeneration,
    ConnectionState State = ConnectionState.Active,
    long? DormantUntilMs = null);

/// <summary>The open connections, for the admin endpoint.</summary>
internal interface IConnectionDirectory
{
    /// <summary>Every connection whose handshake is done, and every dormant session, oldest first.</summary>
    IReadOnlyList<ConnectionSummary> Connections();
}
