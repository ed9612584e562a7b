// A subscription ended for a reason other than the caller closing it.
namespace Sinew.Client;

/// <summary>Raised by the iteration of a <see cref="Subscription"/> that ended for any reason other than the
/// caller closing it. <see cref="Reason"/> says why; <see cref="SinewException.Code"/> is the reason's name
/// (for example <c>deleted</c> or <c>connection_lost</c>).</summary>
public sealed class SubscriptionEndedException : SinewException
{
    /// <summary>Creates the exception.</summary>
    public SubscriptionEndedException(SubscriptionEndReason reason, string message, Exception? innerException = null)
        : base(reason.Code(), reason.IsRetryable(), message, innerException)
    {
        Reason = reason;
    }

    /// <summary>Why the subscription ended.</summary>
    public SubscriptionEndReason Reason { get; }
}
