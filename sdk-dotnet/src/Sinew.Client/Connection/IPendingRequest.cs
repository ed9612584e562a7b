// A request waiting for its reply: what the read loop completes and the timeout sweep expires.
using Sinew.Protocol.Messages;

namespace Sinew.Client.Connection;

/// <summary>A request that has been sent and waits for the frame carrying its request id.</summary>
internal interface IPendingRequest
{
    /// <summary>The request id the frame was sent with.</summary>
    uint RequestId { get; set; }

    /// <summary>When the request times out (<see cref="Environment.TickCount64"/>).</summary>
    long DeadlineMs { get; set; }

    /// <summary>What the request does, for error messages: "Publish to queue 'orders'".</summary>
    string Describe();

    /// <summary>Called on the read loop with the reply; must neither block nor run user code.</summary>
    void Complete(IWireMessage reply);

    /// <summary>Fails the request: timeout, cancellation, or the connection ending.</summary>
    void Fail(Exception error);
}
