// One endpoint a connection attempt tried, and why it failed there.
namespace Sinew.Client;

/// <summary>One endpoint that could not be connected to, in <see cref="ConnectionException.Failures"/>.</summary>
/// <param name="Endpoint">The endpoint as <c>host:port</c>.</param>
/// <param name="Error">Why connecting to it failed: a <see cref="ConnectionException"/> (refused, timed out, not a
/// Sinew broker) or a retryable <see cref="BrokerException"/>.</param>
public sealed record ConnectionFailure(string Endpoint, SinewException Error);
