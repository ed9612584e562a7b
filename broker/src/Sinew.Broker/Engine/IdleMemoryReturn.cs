// Giving memory back to the operating system when the broker goes quiet. The .NET garbage collector runs only
// when the program allocates, so a broker that just saw thousands of connections close, or a backlog drained,
// and then goes idle would keep the heap it grew for them indefinitely. Every few seconds this checks how much
// was allocated since the last look; when the broker has been nearly idle and the heap holds much more than was
// live after the last such collection, it runs one compacting collection that decommits the free memory.
using System.Runtime;

namespace Sinew.Broker.Engine;

internal sealed class IdleMemoryReturn : IDisposable
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(5);

    // Less than this allocated in one interval counts as idle: a few heartbeats and scrapes, no traffic.
    private const long IdleAllocationBytes = 8L << 20;

    // Collect only when the heap has grown this much past what was live after the last collection here.
    private const long GrowthBytes = 16L << 20;

    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private long _liveAfterLastReturn;

    public IdleMemoryReturn()
    {
        _loop = Task.Run(RunAsync);
    }

    private async Task RunAsync()
    {
        using var timer = new PeriodicTimer(Interval);
        var allocated = GC.GetTotalAllocatedBytes();
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token).ConfigureAwait(false))
            {
                var now = GC.GetTotalAllocatedBytes();
                var idle = now - allocated < IdleAllocationBytes;
                allocated = now;
                if (idle && GC.GetGCMemoryInfo().TotalCommittedBytes > _liveAfterLastReturn + GrowthBytes)
                {
                    GCSettings.LargeObjectHeapCompactionMode = GCLargeObjectHeapCompactionMode.CompactOnce;
                    GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
                    _liveAfterLastReturn = GC.GetGCMemoryInfo().TotalCommittedBytes;
                    allocated = GC.GetTotalAllocatedBytes();
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        try
        {
            _loop.Wait(TimeSpan.FromSeconds(10));
        }
        catch (AggregateException)
        {
        }

        _stop.Dispose();
    }
}
