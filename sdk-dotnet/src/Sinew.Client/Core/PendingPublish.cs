// Confirmed publishes waiting for their PublishOk: one message, or a batch. Each completes with what its publishing
// handle makes of a confirmation, built on the read loop so the caller's task completes with it directly.
using Sinew.Client.Connection;
using Sinew.Client.Errors;
using Sinew.Client.Routing;
using Sinew.Protocol.Errors;
using Sinew.Protocol.Messages;

namespace Sinew.Client.Core;

/// <summary>A confirmed single-message publish.</summary>
internal sealed class PendingPublish<TReceipt>(PublishPipeline<TReceipt> pipeline, SinewConnection connection) : PendingRequest<TReceipt>
{
    public override string Describe() => pipeline.Target.Description;

    protected override void OnFinished() => pipeline.OnFinished(Failure);

    public override void Complete(IWireMessage reply)
    {
        switch (reply)
        {
            case PublishOk { Results.Count: 1 } ok:
                Succeed(pipeline.Receipt(ok.Results[0]));
                break;
            case Error error:
                PublishFailures.OnError(pipeline.Core, connection, error);
                Fail(BrokerErrors.FromError(error, Describe()));
                break;
            default:
                Fail(PublishFailures.Unexpected(pipeline.Target, reply, 1));
                break;
        }
    }
}

/// <summary>A confirmed batch publish: one receipt per message, in order.</summary>
internal sealed class PendingPublishBatch<TReceipt>(PublishPipeline<TReceipt> pipeline, SinewConnection connection, int count)
    : PendingRequest<IReadOnlyList<TReceipt>>
{
    public override string Describe() => $"{pipeline.Target.Description} ({count} messages in a batch)";

    protected override void OnFinished() => pipeline.OnFinished(Failure);

    public override void Complete(IWireMessage reply)
    {
        switch (reply)
        {
            case PublishOk ok when ok.Results.Count == count:
                var receipts = new TReceipt[count];
                for (var i = 0; i < count; i++)
                {
                    receipts[i] = pipeline.Receipt(ok.Results[i]);
                }

                Succeed(receipts);
                break;
            case Error error:
                PublishFailures.OnError(pipeline.Core, connection, error);
                Fail(BrokerErrors.FromError(error, Describe()));
                break;
            default:
                Fail(PublishFailures.Unexpected(pipeline.Target, reply, count));
                break;
        }
    }
}

internal static class PublishFailures
{
    /// <summary>A redirect means the routes the client used are stale: the catalogue is refreshed at once, on the read
    /// loop, so that a publish sent again (or the next one) waits for the fresh routes.</summary>
    public static void OnError(ClientCore core, SinewConnection connection, Error error)
    {
        if (error.Code == (ushort)ErrorCode.Redirect)
        {
            core.OnRedirect(connection);
        }
    }

    public static ProtocolException Unexpected(PublishTarget target, IWireMessage reply, int expected) => reply is PublishOk ok
        ? new ProtocolException($"{target.Description} was confirmed with {ok.Results.Count} results for {expected} messages.")
        : new ProtocolException($"{target.Description} was answered with {reply.Opcode} instead of PublishOk.");
}
