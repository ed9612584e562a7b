// Cases that talk to the broker directly over a socket: malformed frames, version mismatch, oversized
// frames, unknown opcodes, ops before the handshake, and the frames no client library sends on its own.
// These are what let a third-party broker be checked.
using System.Text;
using Sinew.Conformance.Execution;
using Sinew.Protocol.Errors;
using Sinew.Protocol.Framing;
using Sinew.Protocol.Messages;
using Sinew.Protocol.Timing;
using Sinew.RawProtocol;

namespace Sinew.Conformance.Raw;

internal sealed record RawCase(string Id, string Title, string Description, string Spec, IReadOnlyList<string> Pins,
    IReadOnlyList<string> Requires, Func<RawContext, Task> Run);

/// <summary>What a raw case works with.</summary>
internal sealed class RawContext(BrokerEnvironment environment, string prefix)
{
    private int _queues;

    public BrokerEnvironment Environment { get; } = environment;

    public string NewQueue() => $"{prefix}-raw-{Interlocked.Increment(ref _queues)}";

    public async Task<RawConnection> ConnectAsync(bool handshake = true, string? endpoint = null)
    {
        var connection = await RawConnection.OpenAsync(endpoint ?? Environment.Endpoint, TimeSpan.FromSeconds(5)).ConfigureAwait(false);
        if (handshake)
        {
            await connection.HandshakeAsync(Environment.Credentials).ConfigureAwait(false);
        }

        return connection;
    }
}

internal static class RawCases
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(5);

    public static IReadOnlyList<RawCase> All { get; } =
    [
        new("raw/handshake-and-heartbeat", "Hello is answered with HelloOk, and Ping with Pong",
            "The handshake negotiates version 1; a Ping is answered with a Pong carrying its request id.",
            "4.1, 4.4", ["Hello", "HelloOk", "Ping", "Pong"], [],
            async ctx =>
            {
                await using var c = await ctx.ConnectAsync(handshake: false);
                var welcome = await c.HandshakeAsync(ctx.Environment.Credentials);
                Require(welcome.Version == 1, $"the negotiated version is {welcome.Version}, not 1");
                Require(welcome.Limits.MaxFrameBytes >= 65_536, $"max_frame_bytes {welcome.Limits.MaxFrameBytes} is below the handshake minimum");
                var pong = await c.RequestAsync(Ping.Instance);
                Require(pong.Message is Pong, $"Ping was answered with {RawConnection.Describe(pong)}");
            }),

        new("raw/foreign-bytes-are-refused", "Bytes that are not a Sinew frame are refused and the connection closed",
            "An HTTP request line on the protocol port gets Error bad_frame, then the connection closes.",
            "2, 6", ["Error"], [],
            async ctx =>
            {
                await using var c = await ctx.ConnectAsync(handshake: false);
                await c.SendAsync("GET / HTTP/1.1\r\nHost: x\r\n\r\n"u8.ToArray());
                await ExpectErrorAndCloseAsync(c, ErrorCode.BadFrame);
            }),

        new("raw/no-common-version-is-protocol-mismatch", "A Hello offering only newer versions gets protocol_mismatch and a close",
            "The error lists the versions the broker supports.", "4.2", ["Hello", "Error"], [],
            async ctx =>
            {
                await using var c = await ctx.ConnectAsync(handshake: false);
                var reply = await c.RequestAsync(new Hello(2, 9, "sinew-conformance", "1"));
                var error = ExpectError(reply, ErrorCode.ProtocolMismatch);
                Require(error.Details?.ContainsKey("supported") == true, "the error does not list the supported versions in details.supported");
                Require(await c.ClosedWithinAsync(Wait), "the connection stayed open");
            }),

        new("raw/frame-in-unknown-version-is-refused", "A frame carrying an unsupported version is refused",
            "After the handshake, a frame with version 2 in its header gets protocol_mismatch and a close.", "4.2, 6", ["Error"], [],
            async ctx =>
            {
                await using var c = await ctx.ConnectAsync();
                var frame = FrameEncoder.EncodeToArray(Ping.Instance, 5);
                frame[2] = 2;
                await c.SendAsync(frame);
                await ExpectErrorAndCloseAsync(c, ErrorCode.ProtocolMismatch);
            }),

        new("raw/op-before-hello-is-a-violation", "Any op before Hello is a protocol violation",
            "A DeclareQueue as the first frame gets protocol_violation and a close.", "4.1", ["Error"], [],
            async ctx =>
            {
                await using var c = await ctx.ConnectAsync(handshake: false);
                var reply = await c.RequestAsync(new DeclareQueue(ctx.NewQueue()));
                ExpectError(reply, ErrorCode.ProtocolViolation);
                Require(await c.ClosedWithinAsync(Wait), "the connection stayed open");
            }),

        new("raw/unknown-op-before-hello-is-a-violation", "An unknown op before Hello is a protocol violation too",
            "A well-formed frame with an unassigned opcode as the first frame gets protocol_violation and a close, not unknown_op.", "4.1", ["Error"], [],
            async ctx =>
            {
                await using var c = await ctx.ConnectAsync(handshake: false);
                var frame = FrameEncoder.EncodeToArray(Ping.Instance, 78);
                frame[3] = 0xEE;
                await c.SendAsync(frame);
                var reply = await c.ReadFrameAsync(Wait) ?? throw new RawCaseFailure("the broker closed the connection without an error");
                ExpectError(reply, ErrorCode.ProtocolViolation);
                Require(await c.ClosedWithinAsync(Wait), "the connection stayed open");
            }),

        new("raw/second-hello-is-a-violation", "A second Hello is a protocol violation", "Hello may only be sent once per connection.",
            "4.1", ["Hello", "Error"], [],
            async ctx =>
            {
                await using var c = await ctx.ConnectAsync();
                var reply = await c.RequestAsync(new Hello(1, 1, "again", "1", ctx.Environment.Credentials));
                ExpectError(reply, ErrorCode.ProtocolViolation);
                Require(await c.ClosedWithinAsync(Wait), "the connection stayed open");
            }),

        new("raw/oversized-frame-is-refused-from-its-header", "A frame over the size limit is refused as soon as its header arrives",
            "A header announcing a body larger than max_frame_bytes gets frame_too_large and a close without the body being sent.",
            "2.3", ["Error"], [],
            async ctx =>
            {
                await using var c = await ctx.ConnectAsync();
                var header = new byte[FrameHeader.Size];
                new FrameHeader(1, Opcode.Publish, FrameFlags.None, 9, checked(c.Welcome!.Limits.MaxFrameBytes + 1u)).Write(header);
                await c.SendAsync(header);
                await ExpectErrorAndCloseAsync(c, ErrorCode.FrameTooLarge);
            }),

        new("raw/unknown-opcode-keeps-the-connection", "An unknown opcode is answered with unknown_op and the connection stays open",
            "A well-formed frame with an unassigned opcode is skipped; a following Ping still gets its Pong.", "6", ["Error", "Ping", "Pong"], [],
            async ctx =>
            {
                await using var c = await ctx.ConnectAsync();
                var frame = FrameEncoder.EncodeToArray(Ping.Instance, 77);
                frame[3] = 0xEE;
                await c.SendAsync(frame);
                var reply = await NextFrameAsync(c) ?? throw new RawCaseFailure("the broker closed the connection");
                ExpectError(reply, ErrorCode.UnknownOp);
                var pong = await c.RequestAsync(Ping.Instance);
                Require(pong.Message is Pong, $"the following Ping got {RawConnection.Describe(pong)}");
            }),

        new("raw/malformed-body-is-bad-frame", "A body that is not valid for its op is bad_frame and closes the connection",
            "A Publish whose topic is an integer is refused.", "6", ["Error"], [],
            async ctx =>
            {
                await using var c = await ctx.ConnectAsync();
                var body = new byte[] { 0x94, 0x07, 0xc0, 0x91, 0xc4, 0x00, 0xc0 };
                var frame = new byte[FrameHeader.Size + body.Length];
                new FrameHeader(1, Opcode.Publish, FrameFlags.Confirm, 3, (uint)body.Length).Write(frame);
                body.CopyTo(frame, FrameHeader.Size);
                await c.SendAsync(frame);
                await ExpectErrorAndCloseAsync(c, ErrorCode.BadFrame);
            }),

        new("raw/broker-only-op-from-a-client-is-a-violation", "A client sending an op only brokers send is a protocol violation",
            "A Deliver from a client gets protocol_violation.", "9", ["Error", "Deliver"], [],
            async ctx =>
            {
                await using var c = await ctx.ConnectAsync();
                var reply = await c.RequestAsync(new Deliver(1, [new DeliveredMessage(1, 0, 0, 1, 0, Encoding.UTF8.GetBytes("x"))]));
                ExpectError(reply, ErrorCode.ProtocolViolation);
            }),

        new("raw/goodbye-is-answered-then-closed", "Goodbye is answered with Ok and the broker closes the connection",
            "A clean close.", "4.6", ["Goodbye", "Ok"], [],
            async ctx =>
            {
                await using var c = await ctx.ConnectAsync();
                var reply = await c.RequestAsync(new Goodbye());
                Require(reply.Message is Ok, $"Goodbye was answered with {RawConnection.Describe(reply)}");
                Require(await c.ClosedWithinAsync(Wait), "the connection stayed open after Goodbye");
            }),

        new("raw/settlement-frames", "Ack, Nack and ExtendLease are answered with SettleOk listing what failed",
            "A settlement with a request id is answered once durable; an ack of a delivery no longer held reports stale_delivery.",
            "8.5", ["DeclareQueue", "DeclareQueueOk", "Publish", "PublishOk", "Subscribe", "SubscribeOk", "Deliver", "ExtendLease", "Nack", "Ack", "SettleOk", "Unsubscribe", "Ok"], [],
            async ctx =>
            {
                await using var c = await ctx.ConnectAsync();
                var queue = ctx.NewQueue();
                Expect<DeclareQueueOk>(await c.RequestAsync(new DeclareQueue(queue)));
                Expect<PublishOk>(await c.RequestAsync(new Publish(queue, null, new PublishMessage(Encoding.UTF8.GetBytes("s"))), FrameFlags.Confirm));
                var subscribed = Expect<SubscribeOk>(await c.RequestAsync(new Subscribe(queue, null, null, AckMode.Manual, 10)));
                var first = await NextDeliveryAsync(c);
                Require(first.Attempt == 1, $"the first delivery has attempt {first.Attempt}");
                var extended = Expect<SettleOk>(await c.RequestAsync(new ExtendLease([new LeaseExtension(first.DeliveryId, 30_000)])));
                Require(extended.Failures.Count == 0, "extending a held delivery reported a failure");
                var retried = Expect<SettleOk>(await c.RequestAsync(new Nack([new NackItem(first.DeliveryId, true)])));
                Require(retried.Failures.Count == 0, "a retry reported a failure");
                var second = await NextDeliveryAsync(c);
                Require(second.Attempt == 2 && second.Offset == first.Offset, $"the redelivery has attempt {second.Attempt} and offset {second.Offset}");
                var acked = Expect<SettleOk>(await c.RequestAsync(new Ack([second.DeliveryId])));
                Require(acked.Failures.Count == 0, "acking a held delivery reported a failure");
                var stale = Expect<SettleOk>(await c.RequestAsync(new Ack([second.DeliveryId])));
                Require(stale.Failures.Count == 1 && stale.Failures[0].Code == (ushort)ErrorCode.StaleDelivery,
                    "a second ack of the same delivery did not report stale_delivery");
                Expect<Ok>(await c.RequestAsync(new Unsubscribe(subscribed.SubscriptionId)));
            }),

        new("raw/list-over-the-announced-limit-is-invalid", "A list longer than HelloOk's max_list_items is refused whole, and the connection stays usable",
            "An Ack of one held delivery plus max_list_items ids no longer held (one id over the limit; 16 384 when HelloOk leaves it " +
            "out) gets invalid with details field delivery_ids, reason too_many_items and the limit; the held delivery is not settled " +
            "by it, and an Ack of it alone then succeeds.",
            "2.4", ["HelloOk", "Ack", "Error", "SettleOk"], [],
            async ctx =>
            {
                await using var c = await ctx.ConnectAsync(handshake: false);
                var welcome = await c.HandshakeAsync(ctx.Environment.Credentials);
                var limit = welcome.Limits.MaxListItems ?? (uint)FrameLimits.DefaultMaxListItems;
                var queue = ctx.NewQueue();
                Expect<DeclareQueueOk>(await c.RequestAsync(new DeclareQueue(queue)));
                Expect<PublishOk>(await c.RequestAsync(new Publish(queue, null, new PublishMessage(Encoding.UTF8.GetBytes("held"))), FrameFlags.Confirm));
                var subscribed = Expect<SubscribeOk>(await c.RequestAsync(new Subscribe(queue, null, null, AckMode.Manual, 10)));
                var held = await NextDeliveryAsync(c);
                // Ids far above any this session was given: none is held, so only the list's length can refuse the frame.
                var ids = new List<ulong>((int)limit + 1) { held.DeliveryId };
                for (ulong i = 0; i < limit; i++)
                {
                    ids.Add(held.DeliveryId + (1UL << 40) + i);
                }

                Require((ulong)ids.Count * 9 + 16 <= welcome.Limits.MaxFrameBytes, $"an Ack of {ids.Count} ids does not fit max_frame_bytes {welcome.Limits.MaxFrameBytes}");
                var error = ExpectError(await c.RequestAsync(new Ack(ids)), ErrorCode.Invalid);
                Require(error.Details?.GetValueOrDefault("field") == "delivery_ids", $"the invalid error names field {error.Details?.GetValueOrDefault("field") ?? "(none)"}, not delivery_ids");
                Require(error.Details?.GetValueOrDefault("reason") == "too_many_items", $"the invalid error gives reason {error.Details?.GetValueOrDefault("reason") ?? "(none)"}, not too_many_items");
                Require(error.Details?.GetValueOrDefault("limit") == limit.ToString(System.Globalization.CultureInfo.InvariantCulture),
                    $"the invalid error gives limit {error.Details?.GetValueOrDefault("limit") ?? "(none)"}, not the {limit} HelloOk announced");
                var acked = Expect<SettleOk>(await c.RequestAsync(new Ack([held.DeliveryId])));
                Require(acked.Failures.Count == 0, "the held delivery was no longer held: the refused Ack settled it");
                Expect<Ok>(await c.RequestAsync(new Unsubscribe(subscribed.SubscriptionId)));
            }),

        new("raw/invalid-batch-stores-nothing", "A batch with one invalid message is refused whole",
            "A reserved header in one message of a PublishBatch refuses the batch; the next publish gets offset 0.",
            "8.3", ["PublishBatch", "Error"], [],
            async ctx =>
            {
                await using var c = await ctx.ConnectAsync();
                var queue = ctx.NewQueue();
                Expect<DeclareQueueOk>(await c.RequestAsync(new DeclareQueue(queue)));
                var batch = new PublishBatch(queue, null,
                [
                    new PublishMessage(Encoding.UTF8.GetBytes("ok")),
                    new PublishMessage(Encoding.UTF8.GetBytes("bad"), Headers: new Dictionary<string, string> { ["sinew.forged"] = "1" }),
                ]);
                ExpectError(await c.RequestAsync(batch, FrameFlags.Confirm), ErrorCode.Invalid);
                var next = Expect<PublishOk>(await c.RequestAsync(new Publish(queue, null, new PublishMessage(Encoding.UTF8.GetBytes("after"))), FrameFlags.Confirm));
                Require(next.Results[0].Offset == 0, $"the next publish got offset {next.Results[0].Offset}: part of the refused batch was stored");
            }),

        new("raw/out-of-range-durations-are-invalid", "Durations past their range are refused with invalid naming the field",
            "A TTL, delay or not-before time of 2^63 or more, a default TTL or lease past its maximum, and a retry delay or lease " +
            "extension past its maximum each get invalid with details field and reason out_of_range; nothing is stored, declared or settled.",
            "7.4, 7.5", ["Publish", "DeclareQueue", "Nack", "ExtendLease", "Error"], [],
            async ctx =>
            {
                await using var c = await ctx.ConnectAsync();
                var queue = ctx.NewQueue();
                Expect<DeclareQueueOk>(await c.RequestAsync(new DeclareQueue(queue)));
                var huge = 1UL << 63;
                var tooFar = (ulong)DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() + DurationLimits.MaxDelayMs + 3_600_000;
                var publishes = new (PublishMessage Message, string Field)[]
                {
                    (new PublishMessage(Encoding.UTF8.GetBytes("x"), TtlMs: huge), "ttl_ms"),
                    (new PublishMessage(Encoding.UTF8.GetBytes("x"), TtlMs: DurationLimits.MaxTtlMs + 1), "ttl_ms"),
                    (new PublishMessage(Encoding.UTF8.GetBytes("x"), DelayMs: huge), "delay_ms"),
                    (new PublishMessage(Encoding.UTF8.GetBytes("x"), NotBeforeMs: ulong.MaxValue), "not_before_ms"),
                    (new PublishMessage(Encoding.UTF8.GetBytes("x"), NotBeforeMs: tooFar), "not_before_ms"),
                };
                foreach (var (message, field) in publishes)
                {
                    ExpectOutOfRange(await c.RequestAsync(new Publish(queue, null, message), FrameFlags.Confirm), field);
                }

                ExpectOutOfRange(await c.RequestAsync(new DeclareQueue(ctx.NewQueue(), DefaultTtlMs: ulong.MaxValue)), "default_ttl_ms");
                ExpectOutOfRange(await c.RequestAsync(new DeclareQueue(ctx.NewQueue(), LeaseMs: DurationLimits.MaxLeaseMs + 1)), "lease_ms");

                var ok = Expect<PublishOk>(await c.RequestAsync(new Publish(queue, null, new PublishMessage(Encoding.UTF8.GetBytes("kept"), TtlMs: DurationLimits.MaxTtlMs)), FrameFlags.Confirm));
                Require(ok.Results[0].Offset == 0, $"the first accepted publish got offset {ok.Results[0].Offset}: a refused one was stored");
                var subscribed = Expect<SubscribeOk>(await c.RequestAsync(new Subscribe(queue, null, null, AckMode.Manual, 10)));
                var delivery = await NextDeliveryAsync(c);
                Require(Encoding.UTF8.GetString(delivery.Payload.Span) == "kept", "the message with the longest TTL was not delivered");
                ExpectOutOfRange(await c.RequestAsync(new Nack([new NackItem(delivery.DeliveryId, true, DelayMs: ulong.MaxValue)])), "items.delay_ms");
                ExpectOutOfRange(await c.RequestAsync(new ExtendLease([new LeaseExtension(delivery.DeliveryId, DurationLimits.MaxLeaseMs + 1)])), "items.extend_ms");
                var acked = Expect<SettleOk>(await c.RequestAsync(new Ack([delivery.DeliveryId])));
                Require(acked.Failures.Count == 0, "the delivery was no longer held after the refused nack and lease extension");
                Expect<Ok>(await c.RequestAsync(new Unsubscribe(subscribed.SubscriptionId)));
            }),

        new("raw/heartbeat-proposal-is-bounded", "A heartbeat proposal outside 1 s to 5 min gets the broker's own interval, not an error",
            "Hello proposing 1 ms or 2^64-1 ms is answered with the interval a Hello without a proposal gets; 5 min is taken as it is.",
            "4.4", ["Hello", "HelloOk"], [],
            async ctx =>
            {
                async Task<ulong> AnswerAsync(ulong? proposed)
                {
                    await using var c = await ctx.ConnectAsync(handshake: false);
                    var hello = new Hello(1, 1, "sinew-conformance", "1", ctx.Environment.Credentials, HeartbeatMs: proposed);
                    return Expect<HelloOk>(await c.RequestAsync(hello)).HeartbeatMs;
                }

                var own = await AnswerAsync(null);
                Require(own <= DurationLimits.MaxHeartbeatMs, $"the broker's own interval is {own} ms, over the 5-minute maximum");
                foreach (var proposed in new[] { 1UL, ulong.MaxValue })
                {
                    var answer = await AnswerAsync(proposed);
                    Require(answer == own, $"a proposal of {proposed} ms was answered with {answer} ms, not the broker's own {own} ms");
                }

                var longest = await AnswerAsync(DurationLimits.MaxHeartbeatMs);
                Require(longest == DurationLimits.MaxHeartbeatMs, $"a proposal of 5 minutes was answered with {longest} ms");
            }),

        new("raw/stream-ops-are-served", "A stream is declared and subscribed to, and the connection stays usable",
            "DeclareStream is answered DeclareStreamOk and SubscribeStream SubscribeOk. A broker that refuses them as not supported is reported as not implementing them.", "8.8",
            ["DeclareStream", "DeclareStreamOk", "SubscribeStream", "SubscribeOk"], [],
            async ctx =>
            {
                await using var c = await ctx.ConnectAsync();
                var stream = ctx.NewQueue();
                var declared = await c.RequestAsync(new DeclareStream(stream));
                Require(declared.Message is DeclareStreamOk, $"DeclareStream was answered with {RawConnection.Describe(declared)}");
                var subscribed = await c.RequestAsync(new SubscribeStream(stream, null, null, AckMode.Auto, 10));
                Require(subscribed.Message is SubscribeOk, $"SubscribeStream was answered with {RawConnection.Describe(subscribed)}");
                Require((await c.RequestAsync(Ping.Instance)).Message is Pong, "the connection is no longer usable");
            }),

        new("raw/reconcile-is-served", "A session whose connection broke is resumed, reconciled, and accepts a late ack",
            "A consumer holding a delivery loses its connection without Goodbye. Hello with its resume token is answered resumed = true with the same session id and a fresh token; Reconcile keeps the listed subscription and closes one the broker never had (conservative policy); the delivery made before the break is acked without a failure. A broker that refuses Reconcile as not supported is reported as not implementing it.",
            "4.5, 8.10", ["Hello", "HelloOk", "Reconcile", "ReconcileOk", "Ack", "SettleOk"], [],
            async ctx =>
            {
                var queue = ctx.NewQueue();
                HelloOk first;
                ulong subscription;
                DeliveredMessage held;
                await using (var c = await ctx.ConnectAsync(handshake: false))
                {
                    first = await c.HandshakeAsync(ctx.Environment.Credentials);
                    Expect<DeclareQueueOk>(await c.RequestAsync(new DeclareQueue(queue)));
                    Expect<PublishOk>(await c.RequestAsync(new Publish(queue, null, new PublishMessage(Encoding.UTF8.GetBytes("held"))), FrameFlags.Confirm));
                    subscription = Expect<SubscribeOk>(await c.RequestAsync(new Subscribe(queue, null, null, AckMode.Manual, 10))).SubscriptionId;
                    held = await NextDeliveryAsync(c);
                }

                // The broker may notice the break a moment after the client does: until then the token is unknown.
                var deadline = DateTime.UtcNow + Wait;
                while (true)
                {
                    var resumed = await ctx.ConnectAsync(handshake: false);
                    await using var _ = resumed;
                    var welcome = Expect<HelloOk>(await resumed.HelloAsync(
                        new Hello(1, 1, "sinew-conformance", "1", ctx.Environment.Credentials, first.ResumeToken)));
                    if (!welcome.Resumed)
                    {
                        Require(DateTime.UtcNow < deadline, "Hello with the token of a session whose connection broke a moment ago was never answered resumed = true");
                        Expect<Ok>(await resumed.RequestAsync(new Goodbye()));
                        await Task.Delay(50);
                        continue;
                    }

                    Require(welcome.SessionId == first.SessionId, $"the resumed session is {welcome.SessionId}, not {first.SessionId}");
                    Require(!welcome.ResumeToken.Span.SequenceEqual(first.ResumeToken.Span), "the resumed session was given the same resume token again");
                    var reply = await resumed.RequestAsync(new Reconcile(ReconcilePolicy.Conservative,
                    [
                        new ReconcileEntry(subscription, ChannelKind.Queue, queue, null, null, AckMode.Manual, 10),
                        new ReconcileEntry(subscription + 1000, ChannelKind.Queue, queue, null, null, AckMode.Manual, 10),
                    ]));
                    var reconciled = Expect<ReconcileOk>(reply);
                    Require(reconciled.Results.Count == 2, $"ReconcileOk has {reconciled.Results.Count} results for 2 listed subscriptions");
                    Require(reconciled.Results[0] == new ReconcileResult(subscription, ReconcileOutcome.Kept),
                        $"the listed subscription the broker holds was {reconciled.Results[0].Outcome}, not kept");
                    Require(reconciled.Results[1] == new ReconcileResult(subscription + 1000, ReconcileOutcome.Closed),
                        $"a subscription the broker never had was {reconciled.Results[1].Outcome} under the conservative policy, not closed");
                    var acked = Expect<SettleOk>(await resumed.RequestAsync(new Ack([held.DeliveryId])));
                    Require(acked.Failures.Count == 0, "the ack of a delivery made before the break was refused after the resume");
                    Require((await resumed.RequestAsync(Ping.Instance)).Message is Pong, "the connection is no longer usable");
                    return;
                }
            }),

        new("raw/topology-is-pushed-after-a-declare-and-acknowledged", "A declare on one connection is pushed to another as a Topology, which it acknowledges",
            "A connection that has asked for the topology is pushed a Topology with request id 0 and a later generation once another connection declares a queue with three partitions; it lists the queue with its partition count and a routing version. Acknowledging it with TopologyAck gets no answer and keeps the connection usable.",
            "8.9", ["TopologyRequest", "Topology", "TopologyAck"], [],
            async ctx =>
            {
                await using var watcher = await ctx.ConnectAsync();
                await using var declarer = await ctx.ConnectAsync();
                var before = Expect<Topology>(await watcher.RequestAsync(TopologyRequest.Instance));
                await watcher.SendAsync(new TopologyAck(before.Generation), 0);
                var queue = ctx.NewQueue();
                Expect<DeclareQueueOk>(await declarer.RequestAsync(new DeclareQueue(queue, Partitions: 3)));

                // Other connections may declare meanwhile: take pushes until one lists the queue.
                Topology? pushed = null;
                while (pushed is null)
                {
                    var frame = await watcher.ReadFrameAsync(Wait) ?? throw new RawCaseFailure("the broker closed the connection");
                    Require(frame.Message is Topology, $"expected a pushed Topology, got {RawConnection.Describe(frame)}");
                    Require(frame.Header.RequestId == 0, $"a pushed Topology carries request id {frame.Header.RequestId}, not 0");
                    // A push sent before the request was answered may still arrive; it is older, not wrong.
                    var topology = (Topology)frame.Message;
                    if (topology.Generation > before.Generation && topology.Channels.Any(ch => ch.Topic == queue))
                    {
                        pushed = topology;
                    }
                }

                var channel = pushed.Channels.Single(ch => ch.Topic == queue);
                Require(channel.Kind == ChannelKind.Queue && channel.Partitions == 3,
                    $"the pushed topology lists the queue as a {channel.Kind} of {channel.Partitions} partition(s), not a queue of 3");
                Require(channel.RoutingVersion >= 1, $"the queue's routing version is {channel.RoutingVersion}; versions start at 1");
                await watcher.SendAsync(new TopologyAck(pushed.Generation), 0);
                var pong = await watcher.RequestAsync(Ping.Instance);
                Require(pong.Message is Pong, $"the Ping after TopologyAck got {RawConnection.Describe(pong)}");
            }),

        new("raw/missing-credentials-are-unauthorized", "Without credentials, a broker requiring them answers unauthorized and closes",
            "No hang, no silent close: a typed error.", "4.3", ["Error"], ["auth_broker"],
            async ctx =>
            {
                await using var c = await ctx.ConnectAsync(handshake: false, endpoint: ctx.Environment.Builtins["auth_endpoint"]);
                var reply = await c.RequestAsync(new Hello(1, 1, "sinew-conformance", "1"));
                ExpectError(reply, ErrorCode.Unauthorized);
                Require(await c.ClosedWithinAsync(Wait), "the connection stayed open");
            }),
    ];

    private static async Task<DeliveredMessage> NextDeliveryAsync(RawConnection c)
    {
        while (true)
        {
            var frame = await c.ReadFrameAsync(Wait) ?? throw new RawCaseFailure("the broker closed the connection");
            if (frame.Message is Deliver deliver)
            {
                return deliver.Messages[0];
            }
        }
    }

    // The next frame that is not a pushed Topology: a broker pushes one whenever any connection declares a queue.
    private static async Task<Frame?> NextFrameAsync(RawConnection c)
    {
        while (true)
        {
            var frame = await c.ReadFrameAsync(Wait);
            if (frame is not { Message: Topology, Header.RequestId: 0 })
            {
                return frame;
            }
        }
    }

    private static async Task ExpectErrorAndCloseAsync(RawConnection c, ErrorCode code)
    {
        var reply = await NextFrameAsync(c) ?? throw new RawCaseFailure($"the connection closed without an Error {ErrorCodes.Get(code).Name}");
        ExpectError(reply, code);
        Require(await c.ClosedWithinAsync(Wait), "the connection stayed open after the error");
    }

    private static void ExpectOutOfRange(Frame frame, string field)
    {
        var error = ExpectError(frame, ErrorCode.Invalid);
        Require(error.Details?.GetValueOrDefault("field") == field, $"the invalid error names field {error.Details?.GetValueOrDefault("field") ?? "(none)"}, not {field}");
        Require(error.Details?.GetValueOrDefault("reason") == "out_of_range",
            $"the invalid error for {field} gives reason {error.Details?.GetValueOrDefault("reason") ?? "(none)"}, not out_of_range");
    }

    private static Error ExpectError(Frame frame, ErrorCode code)
    {
        if (frame.Message is not Error error)
        {
            throw new RawCaseFailure($"expected Error {ErrorCodes.Get(code).Name}, got {RawConnection.Describe(frame)}");
        }

        Require(error.Code == (ushort)code, $"expected Error {ErrorCodes.Get(code).Name}, got {ErrorCodes.NameOf(error.Code)}: {error.Message}");
        Require(error.Retryable == ErrorCodes.Get(code).Retryable, $"{ErrorCodes.Get(code).Name} must have retryable = {ErrorCodes.Get(code).Retryable}");
        return error;
    }

    private static T Expect<T>(Frame frame) where T : IWireMessage =>
        frame.Message is T message ? message : throw new RawCaseFailure($"expected {typeof(T).Name}, got {RawConnection.Describe(frame)}");

    private static void Require(bool condition, string failure)
    {
        if (!condition)
        {
            throw new RawCaseFailure(failure);
        }
    }
}
