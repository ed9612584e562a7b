// The live catalogue: every topology the client receives (a reply or a push) feeds the routing cache and the view;
// the view is refreshed with a TopologyRequest when it is first read in a session, after a reconnection, after a
// declaration it does not reflect yet and after a redirect, each refresh shared by everyone who waits for it.
using Sinew.Client.Connection;
using Sinew.Client.Diagnostics;
using Sinew.Client.Routing;
using Wire = Sinew.Protocol.Messages;

namespace Sinew.Client.Core;

internal sealed partial class ClientCore
{
    private readonly object _refreshGate = new();
    private Refresh? _refresh;

    /// <summary>The catalogue as the client holds it, kept live by the broker's pushes.</summary>
    public CatalogueView Catalogue { get; } = new();

    /// <summary>Applies a topology received on <paramref name="connection"/> to the routing cache and the view.</summary>
    public void ApplyTopology(SinewConnection connection, Wire.Topology topology)
    {
        var session = connection.Session.SessionId;
        if (Topology.Apply(topology, session))
        {
            Log.TopologyUpdated(Logger, topology.Generation, topology.Channels.Count);
        }

        Catalogue.Apply(topology, session);
    }

    /// <summary>Asks the broker for its catalogue on <paramref name="connection"/>, or joins the request already under
    /// way there. A failure is logged here; whoever awaits the task sees it too.</summary>
    public Task RefreshCatalogueAsync(SinewConnection connection)
    {
        lock (_refreshGate)
        {
            if (Volatile.Read(ref _refresh) is { } running && ReferenceEquals(running.Connection, connection) && !running.Task.IsCompleted)
            {
                return running.Task;
            }

            var task = FetchTopologyAsync(connection, CancellationToken.None);
            Volatile.Write(ref _refresh, new Refresh(connection, task));
            _ = task.ContinueWith(static (failed, state) =>
            {
                var (logger, endpoint) = ((Microsoft.Extensions.Logging.ILogger, BrokerEndpoint))state!;
                Log.CatalogueRefreshFailed(logger, endpoint, failed.Exception!.InnerException!.Message);
            }, (Logger, connection.Endpoint), CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously,
                TaskScheduler.Default);
            return task;
        }
    }

    /// <summary>The catalogue refresh under way on <paramref name="connection"/>, if there is one. Routing waits for it,
    /// so a publish after a reconnection or a redirect uses the fresh routes.</summary>
    public Task? RefreshUnderWay(SinewConnection connection) =>
        Volatile.Read(ref _refresh) is { } refresh && ReferenceEquals(refresh.Connection, connection) && !refresh.Task.IsCompleted ? refresh.Task : null;

    /// <summary>The current catalogue. It costs no round trip once a topology of the current session has arrived (and
    /// no refresh is under way); otherwise it asks for one first, connecting or reconnecting as any operation does.</summary>
    public async ValueTask<Catalogue> GetCatalogueAsync(CancellationToken cancellationToken)
    {
        ThrowIfClosed("Reading the catalogue");
        var connection = await GetConnectionAsync(cancellationToken).ConfigureAwait(false);
        var session = connection.Session.SessionId;
        var underWay = RefreshUnderWay(connection);
        if (underWay is null && Catalogue.IsFrom(session))
        {
            return Catalogue.Current!;
        }

        try
        {
            await (underWay ?? RefreshCatalogueAsync(connection)).WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception) when (underWay is not null && !cancellationToken.IsCancellationRequested && Catalogue.IsFrom(session))
        {
            // A refresh someone else started failed, but the view already holds this session's catalogue.
        }

        return Catalogue.Current!;
    }

    /// <summary>Refreshes the view after a declaration the view does not reflect yet, so that reading the catalogue
    /// right after declaring lists the queue (the broker's push would follow, but not before the next read).</summary>
    private void RefreshUnlessListed(SinewConnection connection, QueueKey queue, uint partitions)
    {
        if (!Catalogue.IsFrom(connection.Session.SessionId))
        {
            // Not yet established in this session: the first read asks anyway.
            return;
        }

        if (Catalogue.Current?.Find(queue.Topic, queue.Group) is { Kind: ChannelKind.Queue } entry && entry.Partitions == (int)partitions)
        {
            return;
        }

        _ = RefreshCatalogueAsync(connection);
    }

    /// <summary>Starts a refresh after the broker answered <c>redirect</c> on <paramref name="connection"/>: the routes
    /// the client used are stale.</summary>
    public void OnRedirect(SinewConnection connection) => _ = RefreshCatalogueAsync(connection);

    private sealed record Refresh(SinewConnection Connection, Task Task);
}
