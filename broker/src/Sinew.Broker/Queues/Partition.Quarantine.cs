// Quarantine: a partition whose log or snapshot is damaged serves nothing until an operator repairs it.
using Sinew.Protocol.Errors;

namespace Sinew.Broker.Queues;

internal sealed partial class Partition
{
    private string? _quarantine;

    /// <summary>Why the partition is quarantined, or null when it serves.</summary>
    public string? QuarantineReason => Volatile.Read(ref _quarantine);

    private void ThrowIfQuarantined()
    {
        if (_retired is { } deleted)
        {
            throw deleted;
        }

        if (_quarantine is { } reason)
        {
            throw new BrokerErrorException(ErrorCode.Quarantined,
                $"partition {Index} of queue {Queue.Name} is quarantined: {reason}. An operator must repair it.",
                Queue.ErrorDetails(Index));
        }
    }

    private void QuarantineLocked(string reason)
    {
        if (_quarantine is not null)
        {
            return;
        }

        _quarantine = reason;
        _services.Quarantined(this, reason);
    }
}
