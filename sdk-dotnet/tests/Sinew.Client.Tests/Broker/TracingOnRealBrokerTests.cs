// Tracing against the real broker: publish and process spans from the Sinew.Client activity source, linked through
// W3C trace context carried in message headers, and the ambient context propagated with a caller's own traceparent
// kept.
using System.Collections.Concurrent;
using System.Diagnostics;
using Sinew.Client.Tests.Fixtures;

namespace Sinew.Client.Tests.Broker;

[Collection(PublishingBroker.Name)]
public class TracingOnRealBrokerTests(SinewBrokerFixture broker)
{
    [Fact(Timeout = 20_000)]
    public async Task Publish_and_process_spans_are_linked_through_the_traceparent_header()
    {
        var topic = $"traced-{Guid.NewGuid():N}";
        var stopped = new ConcurrentQueue<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == SinewDiagnostics.ActivitySourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = activity =>
            {
                if (activity.GetTagItem("messaging.destination.name") as string == topic)
                {
                    stopped.Enqueue(activity);
                }
            },
        };
        ActivitySource.AddActivityListener(listener);

        await using var client = await broker.ConnectAsync();
        await client.DeclareQueueAsync(topic);
        await client.CreatePublisher(topic).PublishAsync(OutgoingMessage.FromText("traced"));

        var publish = Assert.Single(stopped, a => a.Kind == ActivityKind.Producer);
        Assert.Equal($"publish {topic}", publish.DisplayName);
        Assert.Equal("sinew", publish.GetTagItem("messaging.system"));
        Assert.Equal("0", publish.GetTagItem("messaging.sinew.offset"));
        await using var subscription = await client.SubscribeAsync(topic);
        await using var deliveries = subscription.GetAsyncEnumerator();
        Assert.True(await deliveries.MoveNextAsync());
        var delivery = deliveries.Current;

        // The header the publish carried, as the broker stored it.
        Assert.Equal(publish.Id, delivery.Headers["traceparent"]);
        Assert.Equal(publish.TraceId, delivery.TraceContext.TraceId);
        Assert.Equal(publish.SpanId, delivery.TraceContext.SpanId);
        Assert.NotNull(delivery.Activity);
        Assert.DoesNotContain(stopped, a => a.Kind == ActivityKind.Consumer);
        await delivery.AckAsync();

        var process = Assert.Single(stopped, a => a.Kind == ActivityKind.Consumer);
        Assert.Equal($"process {topic}", process.DisplayName);
        Assert.Equal(publish.TraceId, process.TraceId);
        Assert.Equal(publish.SpanId, process.ParentSpanId);
        Assert.Null(delivery.Activity);
    }

    [Fact(Timeout = 20_000)]
    public async Task The_ambient_trace_context_is_propagated_and_a_callers_traceparent_is_kept()
    {
        await using var client = await broker.ConnectAsync();
        var topic = $"ambient-{Guid.NewGuid():N}";
        await client.DeclareQueueAsync(topic);
        var publisher = client.CreatePublisher(topic);

        using (var ambient = new Activity("request").SetIdFormat(ActivityIdFormat.W3C).Start())
        {
            ambient.TraceStateString = "vendor=1";
            await publisher.PublishAsync(OutgoingMessage.FromText("a"));
            await publisher.PublishAsync(OutgoingMessage.FromText("b").WithHeader("traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"));
        }

        await using var subscription = await client.SubscribeAsync(topic, new SubscribeOptions { AckMode = AckMode.Auto });
        var sent = (await RealBroker.ReceiveManyAsync(subscription, 2)).Select(d => d.Headers).ToList();
        Assert.Contains("vendor=1", sent[0]["tracestate"], StringComparison.Ordinal);
        Assert.Equal("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", sent[1]["traceparent"]);
    }
}
