// Which of the deliveries a session returns count a failure (specification section 8.5): those the application was
// handed, as Unsubscribe and Goodbye may list them; every one when the connection breaks or the list is absent; none
// when the broker itself ends the session.
namespace Sinew.Broker.Network;

internal sealed class HandedOut
{
    private readonly HashSet<long>? _listed;
    private readonly bool _all;
    private readonly long _upTo = long.MaxValue;

    private HandedOut(HashSet<long>? listed, bool all)
    {
        _listed = listed;
        _all = all;
    }

    private HandedOut(long upTo)
        : this(null, true) => _upTo = upTo;

    /// <summary>Every returned delivery may have been held by the application.</summary>
    public static HandedOut Every { get; } = new(null, true);

    /// <summary>No return is a failure: the broker ended the session.</summary>
    public static HandedOut None { get; } = new(null, false);

    /// <summary>Deliveries made up to <paramref name="lastDeliveryId"/>: those a connection that broke may have
    /// carried to the application. Later ones went to a connection that never handed them on.</summary>
    public static HandedOut UpTo(long lastDeliveryId) => new(lastDeliveryId);

    /// <summary>The deliveries a client listed; an absent list means every one.</summary>
    public static HandedOut Listed(IReadOnlyList<ulong>? deliveryIds)
    {
        if (deliveryIds is null)
        {
            return Every;
        }

        var listed = new HashSet<long>(deliveryIds.Count);
        foreach (var id in deliveryIds)
        {
            listed.Add((long)id);
        }

        return new HandedOut(listed, false);
    }

    /// <summary>Whether returning <paramref name="deliveryId"/> counts a failure.</summary>
    public bool CountsFailure(long deliveryId) => _listed?.Contains(deliveryId) ?? (_all && deliveryId <= _upTo);
}
