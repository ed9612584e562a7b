// The broker answered with an Error frame.
using Sinew.Protocol.Errors;

namespace Sinew.Client;

/// <summary>The broker refused or failed a request. <see cref="SinewException.Code"/> is the broker's code
/// name (<c>not_found</c>, <c>conflict</c>, <c>invalid</c>, …) or <c>unknown</c> for a code newer than this client
/// (its number is in <see cref="BrokerCode"/>), <see cref="SinewException.IsRetryable"/> is the flag the broker sent,
/// and <see cref="Details"/> holds its machine-readable context.</summary>
public sealed class BrokerException : SinewException
{
    /// <summary>Creates the exception for a broker error.</summary>
    /// <param name="brokerCode">The protocol's numeric error code.</param>
    /// <param name="isRetryable">The broker's retryable flag.</param>
    /// <param name="message">What happened and what to do about it.</param>
    /// <param name="brokerMessage">The broker's own explanation.</param>
    /// <param name="details">The broker's details; empty when it sent none.</param>
    public BrokerException(int brokerCode, bool isRetryable, string message, string? brokerMessage = null,
        IReadOnlyDictionary<string, string>? details = null)
        : base(CodeName(brokerCode), isRetryable, message)
    {
        BrokerCode = brokerCode;
        BrokerMessage = brokerMessage ?? string.Empty;
        Details = details ?? EmptyDetails;
    }

    private static readonly IReadOnlyDictionary<string, string> EmptyDetails = new Dictionary<string, string>(0);

    /// <summary>The code's protocol name, or <see cref="SinewErrorCodes.Unknown"/>.</summary>
    private static string CodeName(int brokerCode) =>
        brokerCode is >= 0 and <= ushort.MaxValue && ErrorCodes.TryGet((ushort)brokerCode, out var info) ? info.Name : SinewErrorCodes.Unknown;

    /// <summary>The numeric error code the broker sent (see the protocol's error table); the only way to tell
    /// apart codes this client does not know.</summary>
    public int BrokerCode { get; }

    /// <summary>The broker's own explanation, as sent.</summary>
    public string BrokerMessage { get; }

    /// <summary>Machine-readable context; the keys depend on the code (for example <c>field</c> and
    /// <c>reason</c> for <c>invalid</c>, <c>existing</c> and <c>requested</c> for <c>conflict</c>).</summary>
    public IReadOnlyDictionary<string, string> Details { get; }
}
