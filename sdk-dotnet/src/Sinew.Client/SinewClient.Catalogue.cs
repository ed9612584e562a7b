// The client's live catalogue: reading it, watching its changes as an async sequence, and the CatalogueChanged event,
// which a watcher of its own feeds while handlers are attached.
using Sinew.Client.Core;
using Sinew.Client.Diagnostics;

namespace Sinew.Client;

public sealed partial class SinewClient
{
    private readonly object _catalogueHandlersGate = new();
    private EventHandler<CatalogueChange>? _catalogueChanged;
    private CancellationTokenSource? _catalogueEventPump;

    /// <summary>The broker's queues and streams as the client holds them. The client keeps this view live from the
    /// broker's pushes, so once it holds the catalogue of the current session this costs no round trip; the first call
    /// in a session (and a call right after a declaration the view does not list yet) asks the broker once.</summary>
    /// <remarks>Like every operation it connects first, or reconnects after a drop; after a reconnection the client
    /// asks for a fresh catalogue and reports what differs from the view it held as a <see cref="CatalogueChange"/>.</remarks>
    /// <exception cref="BrokerException">The broker refused the request.</exception>
    /// <exception cref="ConnectionException">The client could not connect.</exception>
    /// <exception cref="ClientClosedException">The client was closed.</exception>
    public ValueTask<Catalogue> GetCatalogueAsync(CancellationToken cancellationToken = default) => _core.GetCatalogueAsync(cancellationToken);

    /// <summary>The changes of the catalogue, from the moment enumeration begins: each item says which queues and
    /// streams were added, removed or changed (partition count or routing version) since the previous item. The first
    /// <c>MoveNextAsync</c> establishes the view as <see cref="GetCatalogueAsync"/> does when the client holds none.
    /// The sequence ends when the client closes.</summary>
    /// <remarks>A watcher that is not read keeps no backlog: when it reads again it receives one change merging
    /// everything since its previous read (a queue added and removed meanwhile appears in neither list), so its memory
    /// does not grow however many changes it missed. Watching does not reconnect by itself: after a connection drops,
    /// the next operation reconnects, and the fresh catalogue it brings is reported as a change.</remarks>
    /// <exception cref="ClientClosedException">The client was closed.</exception>
    public IAsyncEnumerable<CatalogueChange> WatchCatalogueAsync(CancellationToken cancellationToken = default)
    {
        _core.ThrowIfClosed("Watching the catalogue");
        return new CatalogueChanges(_core, cancellationToken);
    }

    /// <summary>Raised with every change of the catalogue after the first handler was attached, on the thread pool,
    /// one change at a time and in order. A handler that is slow delays the next change, which then arrives merged, as
    /// from <see cref="WatchCatalogueAsync"/>; what a handler throws is logged (event
    /// <see cref="SinewLogEvents.CatalogueHandlerFailed"/>) and ignored.</summary>
    /// <remarks>Changes are relative to a view the client already holds: call <see cref="GetCatalogueAsync"/> first to be
    /// sure of the starting point. Attaching a handler to a connected client that holds no view yet asks for one.</remarks>
    public event EventHandler<CatalogueChange>? CatalogueChanged
    {
        add
        {
            lock (_catalogueHandlersGate)
            {
                _catalogueChanged += value;
                if (_catalogueChanged is not null && _catalogueEventPump is null && !_core.IsClosing)
                {
                    _catalogueEventPump = new CancellationTokenSource();
                    _ = PumpCatalogueChangesAsync(new CatalogueWatcher(_core, establish: false, _catalogueEventPump.Token));
                    if (_core.Catalogue.Current is null && _core.Connections.Current is { IsOpen: true } connection)
                    {
                        _ = _core.RefreshCatalogueAsync(connection);
                    }
                }
            }
        }

        remove
        {
            lock (_catalogueHandlersGate)
            {
                _catalogueChanged -= value;
                if (_catalogueChanged is null && _catalogueEventPump is { } pump)
                {
                    _catalogueEventPump = null;
                    // Not disposed: the pump may still be reading the token when it sees the cancellation.
                    pump.Cancel();
                }
            }
        }
    }

    private async Task PumpCatalogueChangesAsync(CatalogueWatcher watcher)
    {
        await using (watcher.ConfigureAwait(false))
        {
            try
            {
                while (await watcher.MoveNextAsync().ConfigureAwait(false))
                {
                    var handlers = Volatile.Read(ref _catalogueChanged);
                    foreach (var handler in handlers?.GetInvocationList() ?? [])
                    {
                        try
                        {
                            ((EventHandler<CatalogueChange>)handler)(this, watcher.Current);
                        }
                        catch (Exception e)
                        {
                            Log.CatalogueHandlerFailed(_core.Logger, e);
                        }
                    }
                }
            }
            catch (OperationCanceledException)
            {
                // The last handler was removed.
            }
        }
    }
}
