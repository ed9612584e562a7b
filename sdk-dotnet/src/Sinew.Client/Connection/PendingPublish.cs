// Confirmed publishes waiting for their PublishOk: one message, or a batch.
using Sinew.Client.Errors;
using Sinew.Client.Routing;
using Sinew.Protocol.Errors;
using Sinew.Protocol.Messages;

namespace Sinew.Client.Connection;

/// <summary>A confirmed single-message publish. The receipt is built on the read loop, so the caller's task
/// completes with it directly.</summary>
internal sealed class PendingPublish(PublishTarget target) : PendingRequest<PublishReceipt>
{
    public override string Describe() => target.Description;

    protected override void OnFinished() => target.EndPublish();

    public override void Complete(IWireMessage reply)
    {
        switch (reply)
        {
            case PublishOk { Results.Count: 1 } ok:
                var result = ok.Results[0];
                Succeed(new PublishReceipt((int)result.Partition, result.Offset, result.Duplicate));
                break;
            case Error error:
                PublishFailures.OnError(target, error);
                Fail(BrokerErrors.FromError(error, target.Description));
                break;
            default:
                Fail(PublishFailures.Unexpected(target, reply, 1));
                break;
        }
    }
}

/// <summary>A confirmed batch publish: one receipt per message, in order.</summary>
internal sealed class PendingPublishBatch(PublishTarget target, int count) : PendingRequest<IReadOnlyList<PublishReceipt>>
{
    public override string Describe() => $"{target.Description} ({count} messages in a batch)";

    protected override void OnFinished() => target.EndPublish();

    public override void Complete(IWireMessage reply)
    {
        switch (reply)
        {
            case PublishOk ok when ok.Results.Count == count:
                var receipts = new PublishReceipt[count];
                for (var i = 0; i < count; i++)
                {
                    var result = ok.Results[i];
                    receipts[i] = new PublishReceipt((int)result.Partition, result.Offset, result.Duplicate);
                }

                Succeed(receipts);
                break;
            case Error error:
                PublishFailures.OnError(target, error);
                Fail(BrokerErrors.FromError(error, Describe()));
                break;
            default:
                Fail(PublishFailures.Unexpected(target, reply, count));
                break;
        }
    }
}

internal static class PublishFailures
{
    /// <summary>A redirect means the route the client used is stale: forget it so the next publish looks again.</summary>
    public static void OnError(PublishTarget target, Error error)
    {
        if (error.Code == (ushort)ErrorCode.Redirect)
        {
            target.Invalidate();
        }
    }

    public static ProtocolException Unexpected(PublishTarget target, IWireMessage reply, int expected) => reply is PublishOk ok
        ? new ProtocolException($"{target.Description} was confirmed with {ok.Results.Count} results for {expected} messages.")
        : new ProtocolException($"{target.Description} was answered with {reply.Opcode} instead of PublishOk.");
}
