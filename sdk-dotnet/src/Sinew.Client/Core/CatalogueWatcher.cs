// Watching the client's catalogue: each read yields what changed since the watcher's previous one, coalesced, so a
// watcher that falls behind costs one snapshot reference and never a queue of changes.
using Sinew.Client.Routing;

namespace Sinew.Client.Core;

/// <summary>The changes of the client's catalogue as an async sequence. Enumerating starts a watcher whose starting
/// point is the catalogue at that moment (established first, with a round trip if needed).</summary>
internal sealed class CatalogueChanges(ClientCore core, CancellationToken cancellationToken) : IAsyncEnumerable<CatalogueChange>
{
    public IAsyncEnumerator<CatalogueChange> GetAsyncEnumerator(CancellationToken enumeratorCancellation = default) =>
        new CatalogueWatcher(core, establish: true, cancellationToken, enumeratorCancellation);
}

/// <summary>One watcher. It remembers only the snapshot it saw last; each <see cref="MoveNextAsync"/> compares it with
/// the current one and yields the difference, or waits for the next snapshot when there is none. Everything that
/// happened between two reads arrives merged into one change, which is what bounds its memory.</summary>
internal sealed class CatalogueWatcher : IAsyncEnumerator<CatalogueChange>
{
    private readonly ClientCore _core;
    private readonly bool _establish;
    private readonly CancellationTokenSource? _linked;
    private readonly CancellationToken _cancellation;
    private Catalogue? _seen;

    /// <param name="core">The client.</param>
    /// <param name="establish">Whether the first read establishes the view when the client holds none yet (reading the
    /// catalogue, which may connect), or waits for something else to establish it.</param>
    /// <param name="first">Ends the watch.</param>
    /// <param name="second">Ends the watch too.</param>
    public CatalogueWatcher(ClientCore core, bool establish, CancellationToken first, CancellationToken second = default)
    {
        _core = core;
        _establish = establish;
        if (first.CanBeCanceled && second.CanBeCanceled)
        {
            _linked = CancellationTokenSource.CreateLinkedTokenSource(first, second);
            _cancellation = _linked.Token;
        }
        else
        {
            _cancellation = first.CanBeCanceled ? first : second;
        }

        // The starting point is the view as it is now: whatever changes after this is reported.
        _seen = core.Catalogue.Current;
    }

    public CatalogueChange Current { get; private set; } = null!;

    /// <returns>False once the client is closing.</returns>
    /// <exception cref="OperationCanceledException">The watch was cancelled.</exception>
    public async ValueTask<bool> MoveNextAsync()
    {
        var view = _core.Catalogue;
        if (_seen is null)
        {
            if (_establish)
            {
                try
                {
                    _seen = await _core.GetCatalogueAsync(_cancellation).ConfigureAwait(false);
                }
                catch (ClientClosedException)
                {
                    return false;
                }
            }
            else if (!await WaitAsync(view.WhenReplaced(null)).ConfigureAwait(false))
            {
                return false;
            }
            else
            {
                _seen = view.Current!;
            }
        }

        while (!_core.IsClosing)
        {
            var current = view.Current!;
            if (CatalogueView.Diff(_seen!, current) is { } change)
            {
                _seen = current;
                Current = change;
                return true;
            }

            _seen = current;
            if (!await WaitAsync(view.WhenReplaced(current)).ConfigureAwait(false))
            {
                break;
            }
        }

        return false;
    }

    public ValueTask DisposeAsync()
    {
        _linked?.Dispose();
        return ValueTask.CompletedTask;
    }

    /// <returns>True when <paramref name="replaced"/> completed; false when the client began closing first.</returns>
    private async Task<bool> WaitAsync(Task replaced)
    {
        await Task.WhenAny(replaced, _core.WhenClosing).WaitAsync(_cancellation).ConfigureAwait(false);
        return replaced.IsCompleted;
    }
}
