// One message's whole way through a partition: appended, made durable (flushed on this thread), dispatched
// to a subscription as a Delivery, and acked. The session is a stand-in that keeps the last delivery; the
// wire encoding of the delivery is FrameBenchmarks' part.
using BenchmarkDotNet.Attributes;
using Sinew.Broker.Queues;
using Sinew.Broker.Storage;

namespace Sinew.Broker.Benchmarks;

[MemoryDiagnoser]
public class DeliveryCycleBenchmarks
{
    private BenchEngine _engine = null!;
    private Queue _queue = null!;
    private Partition _partition = null!;
    private LastDelivery _session = null!;
    private IncomingMessage _message;

    [Params(1024)]
    public int PayloadBytes { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _engine = BenchEngine.Open();
        _queue = _engine.Declare("cycle");
        _partition = _queue.Partitions[0];
        _session = new LastDelivery();
        _message = new IncomingMessage(new MessageBody(new byte[PayloadBytes], "application/json", null));
        var subscription = new ServerSubscription(1, _session, _queue, _queue.Partitions, AckPolicy.Manual, prefetch: 1024);
        _partition.Attach(subscription);
    }

    [GlobalCleanup]
    public void Cleanup() => _engine.Dispose();

    /// <summary>Publish, flush, dispatch and ack one message.</summary>
    [Benchmark]
    public long PublishDeliverAck()
    {
        _queue.Publish(_message, _engine.Services.NowMs);
        // Whichever thread flushes (this one or the flusher), the message is deliverable when FlushNow returns.
        _partition.FlushNow();
        var delivery = _session.Take();
        return _partition.AckOne(delivery.Offset, delivery.DeliveryId);
    }

    private sealed class LastDelivery : IDeliveryTarget
    {
        private long _nextDeliveryId;
        private Delivery _last;
        private int _waiting;

        public bool HasDeliveryRoom => true;

        /// <summary>The delivery of the message just published. Usually it was made on this thread, inside
        /// FlushNow; but another thread that dispatches the partition at that moment (the timer thread, once the
        /// first leases come due) may have taken it and still be handing it over, so this waits for it.</summary>
        public Delivery Take()
        {
            var spin = new SpinWait();
            var deadline = Environment.TickCount64 + 10_000;
            while (Interlocked.Exchange(ref _waiting, 0) != 1)
            {
                if (Environment.TickCount64 > deadline)
                {
                    throw new InvalidOperationException("the partition delivered nothing");
                }

                spin.SpinOnce();
            }

            return _last;
        }

        public long NextDeliveryId() => ++_nextDeliveryId;

        // The benchmark never deletes its queue.
        public void EndSubscriptionOfDeletedQueue(ServerSubscription subscription) => subscription.Close();

        public void TrackDelivery(long deliveryId, Partition partition, long offset, ServerSubscription subscription)
        {
        }

        public void ForgetDelivery(long deliveryId)
        {
        }

        public void CountPendingDelivery(in Delivery delivery)
        {
        }

        public void SendDeliver(ulong subscriptionId, IReadOnlyList<Delivery> deliveries, Action? onWritten)
        {
            _last = deliveries[^1];
            Volatile.Write(ref _waiting, 1);
        }
    }
}
