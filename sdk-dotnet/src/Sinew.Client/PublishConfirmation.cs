// A pipelined publish whose confirmation arrives later.
using System.Runtime.CompilerServices;

namespace Sinew.Client;

/// <summary>A message that has been handed to the connection and whose confirmation is still on its way.
/// Returned by <see cref="Publisher.PublishWithConfirmationAsync"/> so a caller can keep many publishes in
/// flight; await it (or <see cref="WaitAsync"/>) for the <see cref="PublishReceipt"/>.</summary>
public sealed class PublishConfirmation
{
    internal PublishConfirmation(Task<PublishReceipt> completion)
    {
        Completion = completion;
    }

    /// <summary>Completes with the receipt once the message is durable, or fails with the reason it was not
    /// (<see cref="BrokerException"/>, <see cref="ConnectionLostException"/>, <see cref="OperationTimeoutException"/>).</summary>
    public Task<PublishReceipt> Completion { get; }

    /// <summary>Whether the broker has answered (or the request failed).</summary>
    public bool IsCompleted => Completion.IsCompleted;

    /// <summary>Waits for the receipt. Cancelling stops the wait only; the message may still be stored.</summary>
    public Task<PublishReceipt> WaitAsync(CancellationToken cancellationToken = default) =>
        Completion.WaitAsync(cancellationToken);

    /// <summary>Makes the confirmation awaitable: <c>var receipt = await confirmation;</c>.</summary>
    public TaskAwaiter<PublishReceipt> GetAwaiter() => Completion.GetAwaiter();
}
