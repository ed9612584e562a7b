// The broker's part in the host's start and stop: the verification at start (in the background, unless it
// already ran before serving), then the graceful shutdown sequence.
using Microsoft.Extensions.Hosting;
using Sinew.Broker.Diagnostics;

namespace Sinew.Broker.Hosting;

internal sealed class BrokerLifecycle(BrokerContext context) : IHostedLifecycleService
{
    private int _stopping;
    private int _stopped;

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Runs before any hosted service stops, Kestrel included, so clients are told their
    /// subscriptions end before their connections go.</summary>
    public async Task StoppingAsync(CancellationToken cancellationToken)
    {
        // Like StopAsync, this runs again when a stopped host is disposed.
        if (Interlocked.Exchange(ref _stopping, 1) != 0)
        {
            return;
        }

        context.Services.Logger.ShuttingDown(context.Protocol.Sessions.Count);
        await context.Protocol.TopologyPusher.DisposeAsync().ConfigureAwait(false);
        await context.Protocol.Sessions.CloseAllAsync(TimeSpan.FromMilliseconds(context.Options.Shutdown.TimeoutMs / 2)).ConfigureAwait(false);
    }

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (context.Options.Recovery.OnCorruption != "refuse")
        {
            context.Verification.Start();
        }

        context.Protocol.TopologyPusher.Start();
        context.Protocol.Sessions.Start();
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        // The host may be stopped more than once (a signal, then disposal); shut down only once.
        if (Interlocked.Exchange(ref _stopped, 1) != 0)
        {
            return;
        }

        var timeout = TimeSpan.FromMilliseconds(context.Options.Shutdown.TimeoutMs);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout / 2);
        // Verification first: it must not load a queue while the loaded ones are being closed.
        await context.Verification.StopAsync(deadline.Token).ConfigureAwait(false);
        await context.Services.Maintenance.StopAsync().ConfigureAwait(false);
        // Dead letters still waiting for their target stay in their queues; recovery sends them after the restart.
        context.Registry.DeadLetters.Stop();
        foreach (var slot in context.Registry.Slots.Where(s => s.IsLoaded))
        {
            await slot.Queue.CloseAsync(deadline.Token).ConfigureAwait(false);
        }

        context.Verification.Dispose();
        context.Services.Dispose();
        context.Services.Logger.ShutdownComplete();
    }
}
