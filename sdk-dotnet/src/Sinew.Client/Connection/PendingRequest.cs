// The common base of requests whose caller awaits a typed result.
using Sinew.Protocol.Messages;

namespace Sinew.Client.Connection;

/// <summary>A pending request that is its own <see cref="TaskCompletionSource{TResult}"/>, so a request costs one
/// allocation besides its task. Continuations never run on the read loop.</summary>
internal abstract class PendingRequest<T> : TaskCompletionSource<T>, IPendingRequest
{
    private CancellationTokenRegistration _cancellation;
    private PendingRequests? _table;
    private Exception? _failure;

    protected PendingRequest()
        : base(TaskCreationOptions.RunContinuationsAsynchronously)
    {
    }

    public uint RequestId { get; set; }

    public long DeadlineMs { get; set; }

    public abstract string Describe();

    /// <summary>The exception the task faulted with, once it has. Reading it, unlike <see cref="Task.Exception"/>, does
    /// not count as observing the failure, so a failure the application never looks at can still be reported.</summary>
    public Exception? Failure => Task.IsFaulted ? Volatile.Read(ref _failure) : null;

    public abstract void Complete(IWireMessage reply);

    public void Fail(Exception error)
    {
        _cancellation.Unregister();

        // The first failure is the one the task carries, so a continuation reading Failure sees what the task holds.
        var first = Interlocked.CompareExchange(ref _failure, error, null) ?? error;
        if (TrySetException(first))
        {
            OnFinished();
        }
    }

    /// <summary>Lets <paramref name="cancellationToken"/> stop the wait: the request leaves the table and the
    /// task is cancelled. The frame has been sent; cancelling cannot take it back.</summary>
    public void AttachCancellation(PendingRequests table, CancellationToken cancellationToken)
    {
        if (!cancellationToken.CanBeCanceled)
        {
            return;
        }

        _table = table;
        _cancellation = cancellationToken.UnsafeRegister(static (state, token) =>
        {
            var self = (PendingRequest<T>)state!;
            self._table?.Remove(self.RequestId, self);
            if (self.TrySetCanceled(token))
            {
                self.OnFinished();
            }
        }, this);

        // The reply may have arrived before the registration; then it would only linger on the token.
        if (Task.IsCompleted)
        {
            _cancellation.Unregister();
        }
    }

    protected void Succeed(T result)
    {
        _cancellation.Unregister();
        if (TrySetResult(result))
        {
            OnFinished();
        }
    }

    /// <summary>Runs once, however the request ended.</summary>
    protected virtual void OnFinished()
    {
    }
}

/// <summary>A request whose caller interprets the reply itself.</summary>
internal sealed class PendingReply(string operation) : PendingRequest<IWireMessage>
{
    public override string Describe() => operation;

    public override void Complete(IWireMessage reply) => Succeed(reply);
}

/// <summary>A heartbeat Ping: nobody waits for its Pong, but the id stays reserved until it arrives.</summary>
internal sealed class PendingPing : IPendingRequest
{
    public uint RequestId { get; set; }

    public long DeadlineMs { get; set; }

    public string Describe() => "Ping";

    public void Complete(IWireMessage reply)
    {
    }

    public void Fail(Exception error)
    {
    }
}
