// Deliver frames stay within the frame limit the broker announces, however large the messages or the
// prefetch, so a consumer can always drain its queue.
using System.Text;
using Sinew.Broker.Tests.Support;
using Sinew.Protocol.Framing;
using Sinew.Protocol.Messages;

namespace Sinew.Broker.Tests;

public class DeliveryFrameTests
{
    [Theory(Timeout = 60_000)]
    [InlineData(20_000, 2000)]
    [InlineData(100, 30_000)]
    public async Task A_dispatch_larger_than_the_frame_limit_is_cut_into_frames_within_it(int messages, int payloadBytes)
    {
        await using var broker = await TestBroker.StartAsync(o =>
        {
            o.Limits.MaxFrameBytes = 1 << 16;
        });
        await using var client = await broker.ConnectAsync();
        Assert.Equal(1u << 16, client.Welcome!.Limits.MaxFrameBytes);
        await client.DeclareAsync("big");
        var payload = new byte[payloadBytes];
        var perBatch = Math.Max(1, 30_000 / payloadBytes);
        for (var sent = 0; sent < messages; sent += perBatch)
        {
            var batch = Enumerable.Range(0, Math.Min(perBatch, messages - sent)).Select(_ => new PublishMessage(payload)).ToList();
            await client.CallAsync<PublishOk>(new PublishBatch("big", null, batch), FrameFlags.Confirm);
        }

        // The client reads frames no larger than the announced limit, as every Sinew client does.
        await client.SubscribeAsync("big", prefetch: (uint)messages, ackMode: AckMode.Auto);
        var received = 0;
        var frames = 0;
        while (received < messages)
        {
            var frame = await client.NextPushAsync(TimeSpan.FromSeconds(20));
            if (frame.Message is Deliver deliver)
            {
                frames++;
                received += deliver.Messages.Count;
            }
        }

        Assert.Equal(messages, received);
        Assert.True(frames > 1, $"{frames} frame(s)");
    }
}
