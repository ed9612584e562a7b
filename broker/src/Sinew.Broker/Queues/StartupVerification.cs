// The verification at start: after the index, every queue is loaded, which recovers each partition and so
// reads and checks every retained byte of its snapshot and log. By default it runs in the background, a
// few queues at a time on threads of its own, while the broker already serves; /readyz says ready only
// once it is done. A request for a queue it has not reached yet loads that queue on the spot, through the
// same single load (QueueSlot), so no queue is ever recovered twice.
using System.Diagnostics;
using Sinew.Broker.Diagnostics;
using Sinew.Broker.Engine;

namespace Sinew.Broker.Queues;

internal sealed class StartupVerification : IDisposable
{
    private static readonly TimeSpan ProgressInterval = TimeSpan.FromSeconds(5);

    private readonly QueueRegistry _registry;
    private readonly BrokerServices _services;
    private readonly Task _gate;
    private readonly CancellationTokenSource _stop = new();
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <param name="registry">The indexed queues.</param>
    /// <param name="services">Options, logging and time.</param>
    /// <param name="gate">Verification begins once this completes; tests hold it to observe the broker
    /// before verification (the broker itself passes a completed task).</param>
    public StartupVerification(QueueRegistry registry, BrokerServices services, Task gate)
    {
        _registry = registry;
        _services = services;
        _gate = gate;
    }

    /// <summary>Completes when the verification has ended: every queue verified, stopped by shutdown, or
    /// failed at start.</summary>
    public Task Completion => _completion.Task;

    /// <summary>Verifies every indexed queue in the background. Corruption quarantines what it affects; the
    /// rest serves meanwhile.</summary>
    public void Start() => _ = Task.Run(() => RunAsync(refuse: false, CancellationToken.None));

    /// <summary>Verifies every indexed queue before returning. The first corruption (or a queue that
    /// cannot be loaded) throws <see cref="InvalidDataException"/> naming the queue's directory.</summary>
    public Task VerifyBeforeServingAsync(CancellationToken cancellationToken) => RunAsync(refuse: true, cancellationToken);

    /// <summary>Stops a verification still running and waits for it, at most until
    /// <paramref name="cancellationToken"/> is cancelled. A queue being loaded finishes loading first.</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        try
        {
            await Completion.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // The deadline passed with a large queue still loading; shutdown goes on without it.
        }
    }

    private async Task RunAsync(bool refuse, CancellationToken cancellationToken)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _stop.Token);
        var started = Stopwatch.GetTimestamp();
        var slots = Array.Empty<QueueSlot>();
        var progress = new Progress();
        try
        {
            await _gate.WaitAsync(stop.Token).ConfigureAwait(false);
            slots = [.. _registry.Slots.OrderBy(s => s.Directory, StringComparer.Ordinal)];
            var totalPartitions = slots.Sum(s => (long)s.Settings.Partitions);
            if (slots.Length == 0)
            {
                return;
            }

            var parallelism = Math.Min(_services.Options.Recovery.Parallelism, slots.Length);
            _services.Logger.VerificationStarted(slots.Length, totalPartitions, parallelism);

            // Loading is synchronous file work that can take seconds per queue, so each worker is a thread
            // of its own rather than a pool thread that connections need.
            var workers = new Task[parallelism];
            for (var i = 0; i < workers.Length; i++)
            {
                workers[i] = Task.Factory.StartNew(() => Work(slots, refuse, progress, started, totalPartitions, stop),
                    CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
            }

            await Task.WhenAll(workers).ConfigureAwait(false);
            if (progress.Failure is { } failure)
            {
                throw failure;
            }

            if (progress.Queues < slots.Length)
            {
                _services.Logger.VerificationStopped(progress.Queues, slots.Length, Elapsed(started));
                return;
            }

            _services.Logger.VerificationComplete(slots.Length, totalPartitions, Elapsed(started),
                _registry.QuarantinedQueues.Count(), _services.QuarantinedPartitions.Count);
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            _services.Logger.VerificationStopped(progress.Queues, slots.Length, Elapsed(started));
            if (refuse)
            {
                throw;
            }
        }
        finally
        {
            _completion.TrySetResult();
        }
    }

    private void Work(QueueSlot[] slots, bool refuse, Progress progress, long started, long totalPartitions, CancellationTokenSource stop)
    {
        while (!stop.IsCancellationRequested)
        {
            var index = Interlocked.Increment(ref progress.Next) - 1;
            if (index >= slots.Length)
            {
                return;
            }

            var slot = slots[index];
            if (refuse)
            {
                try
                {
                    _ = slot.Queue;
                }
                catch (Exception e) when (e is InvalidDataException or IOException or UnauthorizedAccessException)
                {
                    progress.Fail(new InvalidDataException($"{slot.Directory}: {e.Message}", e));
                    stop.Cancel();
                    return;
                }
            }
            else
            {
                try
                {
                    _registry.Load(slot);
                }
                catch (BrokerErrorException)
                {
                    // Quarantined: the registry has logged it, and readiness reports it.
                }
            }

            var (queues, partitions) = progress.Done(slot.Settings.Partitions);
            var now = Stopwatch.GetTimestamp();
            var last = Volatile.Read(ref progress.LastReport);
            if (queues < slots.Length && Stopwatch.GetElapsedTime(last, now) >= ProgressInterval
                && Interlocked.CompareExchange(ref progress.LastReport, now, last) == last)
            {
                _services.Logger.VerificationProgress(queues, slots.Length, partitions, totalPartitions, Elapsed(started));
            }
        }
    }

    private static double Elapsed(long started) => Stopwatch.GetElapsedTime(started).TotalSeconds;

    public void Dispose() => _stop.Dispose();

    // What the workers share: the next queue to take, what is done, and the first failure.
    private sealed class Progress
    {
        public int Next;
        public long LastReport = Stopwatch.GetTimestamp();
        private int _queues;
        private long _partitions;
        private Exception? _failure;

        public int Queues => Volatile.Read(ref _queues);

        public Exception? Failure => Volatile.Read(ref _failure);

        public (int Queues, long Partitions) Done(uint partitions) =>
            (Interlocked.Increment(ref _queues), Interlocked.Add(ref _partitions, partitions));

        public void Fail(Exception failure) => Interlocked.CompareExchange(ref _failure, failure, null);
    }
}
