// Appending: a publish as the engine takes it, from the queue's routing to the record in the log's buffer.
// Each iteration starts on a fresh queue, so the partition's maps do not grow without bound.
using BenchmarkDotNet.Attributes;
using Sinew.Broker.Queues;
using Sinew.Broker.Storage;

namespace Sinew.Broker.Benchmarks;

[MemoryDiagnoser]
[InvocationCount(16_384)]
public class AppendBenchmarks
{
    private BenchEngine _engine = null!;
    private Queue _queue = null!;
    private IncomingMessage _message;
    private int _iteration;

    [Params(1024)]
    public int PayloadBytes { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _engine = BenchEngine.Open();
        _message = new IncomingMessage(new MessageBody(new byte[PayloadBytes], "application/json", null));
    }

    [IterationSetup]
    public void NewQueue() => _queue = _engine.Declare($"append-{_iteration++}");

    [GlobalCleanup]
    public void Cleanup() => _engine.Dispose();

    /// <summary>One publish of a message with no idempotency key.</summary>
    [Benchmark]
    public long Append() => _queue.Publish(_message, _engine.Services.NowMs).Offset;
}
