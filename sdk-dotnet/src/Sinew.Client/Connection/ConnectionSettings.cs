// The settings one connection needs, resolved from the client's options by the client core.
using Sinew.Protocol.Messages;

namespace Sinew.Client.Connection;

/// <summary>What a connection needs to know from the client's options, already in the form the handshake sends.</summary>
internal sealed record ConnectionSettings(
    string ClientName,
    string ClientVersion,
    Auth? Auth,
    TimeSpan Heartbeat,
    TimeSpan ConnectTimeout,
    TimeSpan RequestTimeout);
