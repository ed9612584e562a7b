// When a delivery counts as settled.
namespace Sinew.Client;

/// <summary>How deliveries of a subscription are settled. The values equal the protocol's.</summary>
public enum AckMode
{
    /// <summary>The consumer settles each delivery with <see cref="Delivery.AckAsync"/>, <see cref="Delivery.FailAsync"/>,
    /// <see cref="Delivery.RetryAsync"/> or <see cref="Delivery.RetryAfterAsync"/>, or lets its lease expire. At
    /// most <see cref="SubscribeOptions.Prefetch"/> unsettled deliveries are held per partition (at-least-once).</summary>
    Manual = 0,

    /// <summary>The broker settles a delivery as soon as it has written it to the socket (at-most-once). Settling
    /// such a delivery is an error.</summary>
    Auto = 1,
}
