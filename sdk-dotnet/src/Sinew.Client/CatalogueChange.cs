// What changed in the client's view of the catalogue between two moments.
namespace Sinew.Client;

/// <summary>The differences between the catalogue a watcher saw last and the current one, from
/// <see cref="SinewClient.WatchCatalogueAsync"/> and <see cref="SinewClient.CatalogueChanged"/>. Changes are coalesced:
/// a watcher that reads late gets one change covering everything since its previous one, so a channel added and removed
/// in between appears in neither list.</summary>
/// <param name="Generation">The generation of the catalogue the change leads to (comparable only within a session; see
/// <see cref="Catalogue.Generation"/>).</param>
/// <param name="Added">Channels that were not there before.</param>
/// <param name="Removed">Channels that are gone, as they were last seen. After a reconnection, every channel the fresh
/// catalogue no longer lists is removed.</param>
/// <param name="Changed">Channels whose partition count or routing version changed, as they are now.</param>
public sealed record CatalogueChange(
    ulong Generation,
    IReadOnlyList<CatalogueEntry> Added,
    IReadOnlyList<CatalogueEntry> Removed,
    IReadOnlyList<CatalogueEntry> Changed);
