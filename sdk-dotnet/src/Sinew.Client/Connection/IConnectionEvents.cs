// What a connection tells the client that owns it.
using Sinew.Protocol.Messages;

namespace Sinew.Client.Connection;

/// <summary>Notifications from a connection to its client, raised on the read loop (or wherever the connection
/// ended); implementations must not block.</summary>
internal interface IConnectionEvents
{
    /// <summary>The connection completed its handshake and became the client's current one; <paramref name="reconnected"/>
    /// when it replaces an earlier one.</summary>
    void OnOpened(SinewConnection connection, bool reconnected);

    /// <summary>The broker pushed a new topology.</summary>
    void OnTopologyPushed(SinewConnection connection, Sinew.Protocol.Messages.Topology topology);

    /// <summary>The broker announced it will close connections.</summary>
    void OnGoingAway(SinewConnection connection, GoingAway notice);

    /// <summary>The broker reported an error that answers no waiting request.</summary>
    void OnUnsolicitedError(SinewConnection connection, BrokerException error);

    /// <summary>The connection ended, for <paramref name="reason"/>.</summary>
    void OnConnectionEnded(SinewConnection connection, Exception reason);
}
