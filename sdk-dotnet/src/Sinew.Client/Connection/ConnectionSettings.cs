// The settings one connection needs, resolved from SinewClientOptions.
namespace Sinew.Client.Connection;

/// <summary>What a connection needs to know from the client's options.</summary>
internal sealed record ConnectionSettings(
    string ClientName,
    string ClientVersion,
    SinewCredentials? Credentials,
    TimeSpan Heartbeat,
    TimeSpan ConnectTimeout,
    TimeSpan RequestTimeout);
