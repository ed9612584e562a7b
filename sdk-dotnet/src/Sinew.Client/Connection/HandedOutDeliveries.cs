// The manual-ack deliveries of one broker subscription that the application was given and has not settled. An
// Unsubscribe or Goodbye names them, so that when the broker returns the subscription's unsettled messages only these
// count a failure, and prefetched messages the application never saw spend none of their retries (protocol 8.5).
namespace Sinew.Client.Connection;

/// <summary>The ids of deliveries handed to the application and not yet settled, for one broker subscription. A
/// consumer adds an id as it takes a delivery, a settlement removes it from whatever thread settles, and ending the
/// subscription seals the set: from then on nothing more is handed out, since the broker returns whatever is left
/// without counting it. Each operation is O(1) and allocates nothing beyond the hash set's own growth.</summary>
internal sealed class HandedOutDeliveries
{
    private readonly HashSet<ulong> _ids = [];
    private bool _sealed;

    /// <summary>How many deliveries are held.</summary>
    public int Count
    {
        get
        {
            lock (_ids)
            {
                return _ids.Count;
            }
        }
    }

    /// <summary>Records a delivery as handed to the application.</summary>
    /// <returns>False once the set is sealed: the subscription is ending, and the caller must not hand the delivery
    /// out, because the Unsubscribe or Goodbye naming what the application holds has already been built.</returns>
    public bool TryAdd(ulong deliveryId)
    {
        lock (_ids)
        {
            if (_sealed)
            {
                return false;
            }

            _ids.Add(deliveryId);
            return true;
        }
    }

    /// <summary>Forgets a delivery: it was settled, or the broker said it no longer holds it.</summary>
    public void Remove(ulong deliveryId)
    {
        lock (_ids)
        {
            _ids.Remove(deliveryId);
        }
    }

    /// <summary>Seals the set and appends its ids to <paramref name="into"/> while the list is shorter than
    /// <paramref name="maxItems"/>, the broker's list limit: it would refuse a longer list, and a delivery left out
    /// only misses counting one failure.</summary>
    public void SealInto(List<ulong> into, int maxItems)
    {
        lock (_ids)
        {
            _sealed = true;
            foreach (var id in _ids)
            {
                if (into.Count >= maxItems)
                {
                    return;
                }

                into.Add(id);
            }
        }
    }

    /// <summary>Seals the set and empties it: the session the deliveries belong to has ended, and with it their ids.</summary>
    public void Clear()
    {
        lock (_ids)
        {
            _sealed = true;
            _ids.Clear();
        }
    }
}
