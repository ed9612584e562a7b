// The observing relay against a real broker: what a client sends and the broker answers arrives unchanged,
// the ops of each exchange are recorded, a refusal as "not supported" is told apart from any other error,
// bytes that are not frames still get through (raw cases send them on purpose), and a cut by client name
// resets only that client's connections.
using Sinew.Conformance.Observation;
using Sinew.Conformance.Raw;
using Sinew.Protocol.Errors;
using Sinew.Protocol.Messages;
using Sinew.RawProtocol;
using Sinew.Testing;

namespace Sinew.Conformance.Tests;

public sealed class ObservingRelayTests : IAsyncLifetime
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);
    private readonly string _dataDirectory = Directory.CreateTempSubdirectory("sinew-conformance-tests-").FullName;
    private BrokerProcess? _broker;

    public async Task InitializeAsync()
    {
        _broker = await BrokerProcess.StartAsync(_dataDirectory);
    }

    public async Task DisposeAsync()
    {
        if (_broker is not null)
        {
            await _broker.StopAsync(TimeSpan.FromSeconds(15));
            await _broker.DisposeAsync();
        }

        Directory.Delete(_dataDirectory, recursive: true);
    }

    [Fact(Timeout = 60_000)]
    public async Task Every_frame_of_an_exchange_is_recorded_in_both_directions()
    {
        await using var observer = new FrameObserver();
        var endpoint = observer.Front(_broker!.ProtocolEndpoint);
        observer.Begin();
        await using (var connection = await RawConnection.OpenAsync(endpoint, Wait))
        {
            await connection.HandshakeAsync(null);
            var answer = await connection.RequestAsync(new DeclareQueue("relay-orders", Partitions: 2));
            Assert.IsType<DeclareQueueOk>(answer.Message);
            Assert.IsType<Pong>((await connection.RequestAsync(Ping.Instance)).Message);
        }

        var seen = observer.End("case", "raw");
        // The declare may also be followed by a pushed Topology, depending on when the push goes out.
        Assert.Equal(["DeclareQueue", "DeclareQueueOk", "Hello", "HelloOk", "Ping", "Pong"],
            seen.Seen.Where(op => op != "Topology").Order(StringComparer.Ordinal));
        Assert.Empty(seen.Refused);
    }

    [Fact(Timeout = 60_000)]
    public async Task An_op_the_broker_does_not_serve_is_recorded_as_refused_and_an_ordinary_error_is_not()
    {
        await using var observer = new FrameObserver();
        var endpoint = observer.Front(_broker!.ProtocolEndpoint);
        observer.Begin();
        await using (var connection = await RawConnection.OpenAsync(endpoint, Wait))
        {
            await connection.HandshakeAsync(null);
            // Streams are not served by this broker yet; when they are, pick another op it refuses.
            var refused = await connection.RequestAsync(new DeclareStream("relay-stream"));
            Assert.IsType<Error>(refused.Message);
            var invalid = await connection.RequestAsync(new DeclareQueue("bad name!"));
            Assert.Equal((ushort)ErrorCode.Invalid, Assert.IsType<Error>(invalid.Message).Code);
        }

        var seen = observer.End("case", "raw");
        Assert.Equal(["DeclareStream"], seen.Refused);
        Assert.Contains("Error", seen.Seen);
    }

    [Fact(Timeout = 60_000)]
    public async Task Bytes_that_are_not_frames_pass_unchanged_and_the_broker_answer_is_still_seen()
    {
        await using var observer = new FrameObserver();
        var endpoint = observer.Front(_broker!.ProtocolEndpoint);
        observer.Begin();
        await using (var connection = await RawConnection.OpenAsync(endpoint, Wait))
        {
            await connection.SendAsync("GET / HTTP/1.1\r\nHost: x\r\n\r\n"u8.ToArray());
            var answer = await connection.ReadFrameAsync(Wait);
            Assert.Equal((ushort)ErrorCode.BadFrame, Assert.IsType<Error>(answer?.Message).Code);
            Assert.True(await connection.ClosedWithinAsync(Wait), "the broker's close did not come through the relay");
        }

        var seen = observer.End("case", "raw");
        Assert.Equal(["Error"], seen.Seen);
    }

    [Fact(Timeout = 60_000)]
    public async Task What_is_seen_belongs_to_the_run_between_begin_and_end()
    {
        await using var observer = new FrameObserver();
        var endpoint = observer.Front(_broker!.ProtocolEndpoint);
        await using var connection = await RawConnection.OpenAsync(endpoint, Wait);
        await connection.HandshakeAsync(null);
        observer.Begin();
        await connection.RequestAsync(Ping.Instance);
        var first = observer.End("first", "raw");
        observer.Begin();
        await connection.RequestAsync(TopologyRequest.Instance);
        var second = observer.End("second", "raw");
        Assert.Equal(["Ping", "Pong"], first.Seen.Order(StringComparer.Ordinal));
        Assert.Equal(["Topology", "TopologyRequest"], second.Seen.Order(StringComparer.Ordinal));
    }

    [Fact(Timeout = 60_000)]
    public async Task Cutting_a_client_by_name_resets_its_connections_and_leaves_the_others()
    {
        await using var observer = new FrameObserver();
        var endpoint = observer.Front(_broker!.ProtocolEndpoint);
        await using var victim = await RawConnection.OpenAsync(endpoint, Wait);
        await using var bystander = await RawConnection.OpenAsync(endpoint, Wait);
        Assert.IsType<HelloOk>((await victim.HelloAsync(new Hello(1, 1, "victim", "1"))).Message);
        Assert.IsType<HelloOk>((await bystander.HelloAsync(new Hello(1, 1, "bystander", "1"))).Message);

        Assert.Equal(0, observer.Cut("nobody"));
        Assert.Equal(1, observer.Cut("victim"));

        Assert.True(await victim.ClosedWithinAsync(Wait), "the cut connection stayed open");
        Assert.IsType<Pong>((await bystander.RequestAsync(Ping.Instance)).Message);
    }
}
