// The catalogue steps: reading the client's live catalogue, and the next change a watcher of it reports. A client's
// watcher starts at its first catalogue step (or its first next_catalogue_change) and lives as long as the client.
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.Json.Nodes;

namespace Sinew.Client.Conformance;

internal sealed partial class DriverSteps
{
    private const int DefaultChangeTimeoutMs = 5000;

    // Keyed by the client itself, so a reset (which closes and forgets every client) leaves nothing behind.
    private readonly ConditionalWeakTable<SinewClient, CatalogueWatch> _watches = new();

    private async Task<JsonObject> CatalogueAsync(Request request)
    {
        var client = Handle(_clients, "client", request);
        var catalogue = await client.GetCatalogueAsync().ConfigureAwait(false);
        WatchOf(client);
        return new JsonObject
        {
            ["generation"] = catalogue.Generation.ToString(CultureInfo.InvariantCulture),
            ["queues"] = Queues(catalogue.Entries),
        };
    }

    private async Task<JsonObject> NextCatalogueChangeAsync(Request request)
    {
        var client = Handle(_clients, "client", request);
        var timeoutMs = request.OptionalInteger("timeout_ms") ?? DefaultChangeTimeoutMs;
        var change = await WatchOf(client).NextAsync(TimeSpan.FromMilliseconds(Math.Max(0, timeoutMs))).ConfigureAwait(false)
                     ?? throw new OperationTimeoutException($"No catalogue change arrived within {timeoutMs} ms.");
        return new JsonObject
        {
            ["added"] = Queues(change.Added),
            ["removed"] = Queues(change.Removed),
            ["changed"] = Queues(change.Changed),
        };
    }

    private CatalogueWatch WatchOf(SinewClient client) => _watches.GetValue(client, static c => new CatalogueWatch(c.WatchCatalogueAsync().GetAsyncEnumerator()));

    private static JsonArray Queues(IEnumerable<CatalogueEntry> entries) =>
        [.. entries.Where(e => e.Kind == ChannelKind.Queue).Select(e => (JsonNode)new JsonObject
        {
            ["topic"] = e.Topic,
            ["group"] = e.Group,
            ["partitions"] = e.Partitions,
            ["routing_version"] = e.RoutingVersion.ToString(CultureInfo.InvariantCulture),
        })];

    /// <summary>A watcher and the read it has under way: a step that times out leaves the read running, so the change
    /// it is waiting for is reported by the next step rather than lost.</summary>
    private sealed class CatalogueWatch(IAsyncEnumerator<CatalogueChange> watcher)
    {
        private Task<bool>? _reading;

        /// <returns>The next change, or null when none arrived in time.</returns>
        public async Task<CatalogueChange?> NextAsync(TimeSpan within)
        {
            _reading ??= watcher.MoveNextAsync().AsTask();
            try
            {
                await _reading.WaitAsync(within).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                return null;
            }

            var more = await _reading.ConfigureAwait(false);
            _reading = null;
            return more ? watcher.Current : throw new DriverException("the catalogue watch ended: the client was closed");
        }
    }
}
