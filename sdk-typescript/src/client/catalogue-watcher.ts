// Watching the client's catalogue: each read yields what changed since the watcher's previous
// one, merged, so a watcher that falls behind costs one snapshot reference and never a queue.

import { anySignal, raceAbort } from "../async/abort.js";
import { ClientClosedError } from "../errors/client-closed-error.js";
import { catalogueChange, type Catalogue, type CatalogueChange } from "./catalogue.js";
import type { ClientCore } from "./client-core.js";

/**
 * The changes of the client's catalogue from now on. The starting point is the view as it is
 * when this is called; when the client holds none yet, the first `next()` establishes it as
 * `client.catalogue()` does. The iteration ends when the client closes; `signal` makes the
 * pending `next()` reject with its reason.
 */
export function watchCatalogue(core: ClientCore, signal: AbortSignal | undefined): AsyncIterableIterator<CatalogueChange> {
  let seen: Catalogue | undefined = core.catalogue.current;
  let finished = false;
  const end = (): IteratorResult<CatalogueChange> => {
    finished = true;
    return { done: true, value: undefined };
  };

  async function next(): Promise<IteratorResult<CatalogueChange>> {
    if (finished) return end();
    try {
      seen ??= await core.readCatalogue(signal);
      for (;;) {
        if (core.isClosed) return end();
        const current = core.catalogue.current as Catalogue;
        const change = catalogueChange(seen, current);
        seen = current;
        if (change !== undefined) return { done: false, value: change };
        const wait = anySignal([signal, core.closedSignal]);
        try {
          await raceAbort(core.catalogue.whenReplaced(current), wait.signal);
        } finally {
          wait.dispose();
        }
      }
    } catch (error) {
      if (error instanceof ClientClosedError) return end();
      throw error;
    }
  }

  return {
    next,
    return: async () => end(),
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}
