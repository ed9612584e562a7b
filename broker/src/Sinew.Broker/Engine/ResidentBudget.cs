// The broker-wide budget for message bodies held in memory. A body that does not fit stays on disk and is read
// back from the log when it is delivered, so memory stays bounded however deep the queues grow.
using Sinew.Broker.Configuration;

namespace Sinew.Broker.Engine;

/// <summary>Counts resident body bytes against <see cref="StorageOptions.MaxResidentBytes"/>.</summary>
internal sealed class ResidentBudget(StorageOptions storage)
{
    private long _bytes;

    /// <summary>Bytes of message bodies currently held in memory.</summary>
    public long Bytes => Interlocked.Read(ref _bytes);

    /// <summary>Counts <paramref name="bytes"/> of body as resident if the budget allows (or unconditionally when
    /// <paramref name="force"/>, for bodies that must be held, such as deliveries).</summary>
    public bool TryHold(long bytes, bool force = false)
    {
        var after = Interlocked.Add(ref _bytes, bytes);
        if (force || after <= storage.MaxResidentBytes)
        {
            return true;
        }

        Interlocked.Add(ref _bytes, -bytes);
        return false;
    }

    public void Release(long bytes) => Interlocked.Add(ref _bytes, -bytes);
}
