// Deleting a queue. In memory, the queue leaves the registry and the routing catalogue (a new generation, pushed to
// every client), its partitions stop and its subscriptions are ended. On disk, the directory is first renamed to a
// name the index does not read as a queue and the rename is made durable; only then are its files removed. A crash
// before the rename leaves the whole queue, one after it leaves nothing the next start serves: the index finishes
// removing what is left. No start ever finds half a queue and quarantines it.
using Sinew.Broker.Diagnostics;
using Sinew.Broker.Storage;
using Sinew.Protocol.Errors;

namespace Sinew.Broker.Queues;

/// <summary>What a delete removed.</summary>
/// <param name="Name">The deleted queue.</param>
/// <param name="Subscriptions">Subscriptions ended.</param>
/// <param name="Held">Deliveries consumers still held, now forgotten.</param>
internal readonly record struct QueueDeletion(QueueName Name, int Subscriptions, int Held);

internal sealed partial class QueueRegistry
{
    // A queue directory renamed for removal ends with this, then a unique suffix. '~' never occurs in a queue's
    // directory name (DirectoryName replaces it), so no queue's directory is ever taken for a deleted one.
    private const string DeletedMarker = "~deleted-";

    /// <summary>Deletes a queue. Refused with <c>conflict</c> for a queue the broker owns, and, unless
    /// <paramref name="force"/>, while consumers hold any of its messages; <c>not_found</c> when there is no such queue.
    /// A quarantined queue can be deleted: it is how an operator gives up on its data.</summary>
    public QueueDeletion Delete(QueueName name, bool force)
    {
        if (name.IsBrokerOwned)
        {
            throw new BrokerErrorException(ErrorCode.Conflict,
                $"queue {name} belongs to the broker and cannot be deleted; purge it instead",
                DetailsOf(name, "broker_owned"));
        }

        // Loaded first, outside the declare lock: a load under way (the start-up verification's, say) must finish
        // before the directory goes, and a queue whose load fails is deleted as a quarantined one.
        if (_slots.TryGetValue(name, out var found) && found.Quarantine is null)
        {
            try
            {
                Load(found);
            }
            catch (BrokerErrorException)
            {
                // Quarantined by the failed load; deleted as such below.
            }
        }

        QueueSlot slot;
        Queue? queue;
        lock (_declareLock)
        {
            if (!_slots.TryGetValue(name, out slot!))
            {
                if (QuarantineOf(name) is { } unindexed)
                {
                    // A directory that could not be indexed has no slot; removing it is still the operator's way out.
                    RemoveQuarantined(name, unindexed);
                    return new QueueDeletion(name, 0, 0);
                }

                throw new BrokerErrorException(ErrorCode.NotFound, $"queue {name} does not exist", DetailsOf(name, null));
            }

            queue = slot.IsLoaded && slot.Quarantine is null ? slot.Queue : null;
            var held = queue?.Partitions.Sum(p => p.Held) ?? 0;
            if (held > 0 && !force)
            {
                var details = DetailsOf(name, "messages_held");
                details["held"] = held.ToString(System.Globalization.CultureInfo.InvariantCulture);
                throw new BrokerErrorException(ErrorCode.Conflict,
                    $"consumers hold {held} message(s) of queue {name}; wait for them to be settled or delete with force=true", details);
            }

            // Under the declare lock: a declare of the same name waits, and then creates a fresh queue.
            _slots.TryRemove(name, out _);
            if (slot.Quarantine is { } failed)
            {
                _quarantined.TryRemove(Path.GetFileName(failed.Directory), out _);
                _quarantinedNames.TryRemove(name, out _);
                Interlocked.Decrement(ref _failedLoads);
            }

            Catalogue.Remove(name);
            var ended = 0;
            var forgotten = 0;
            if (queue is not null)
            {
                forgotten = queue.Partitions.Sum(p => p.Held);
                var subscriptions = new HashSet<ServerSubscription>();
                foreach (var partition in queue.Partitions)
                {
                    subscriptions.UnionWith(partition.Retire());
                }

                foreach (var subscription in subscriptions)
                {
                    subscription.Target.EndSubscriptionOfDeletedQueue(subscription);
                }

                ended = subscriptions.Count;
            }

            RemoveDirectory(slot.Directory);
            _services.Logger.QueueDeleted(name, ended, forgotten);
            return new QueueDeletion(name, ended, forgotten);
        }
    }

    private void RemoveQuarantined(QueueName name, QuarantinedQueue quarantined)
    {
        _quarantined.TryRemove(Path.GetFileName(quarantined.Directory), out _);
        _quarantinedNames.TryRemove(name, out _);
        RemoveDirectory(quarantined.Directory);
        _services.Logger.QueueDeleted(name, 0, 0);
    }

    /// <summary>Renames the queue's directory out of the queues' namespace, durably, then removes it.</summary>
    private void RemoveDirectory(string directory)
    {
        if (!Directory.Exists(directory))
        {
            return;
        }

        var renamed = directory + DeletedMarker + Guid.NewGuid().ToString("N");
        Directory.Move(directory, renamed);
        DirectorySync.Sync(_root);
        _services.StorageFaults.Check(StorageOperation.RemoveQueue, renamed);
        Directory.Delete(renamed, recursive: true);
        DirectorySync.Sync(_root);
    }

    /// <summary>At start: removes a directory a delete had renamed but not yet removed. True when the directory was one.</summary>
    private bool FinishedDeletion(string directory)
    {
        if (!Path.GetFileName(directory).Contains(DeletedMarker, StringComparison.Ordinal))
        {
            return false;
        }

        try
        {
            Directory.Delete(directory, recursive: true);
            DirectorySync.Sync(_root);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            _services.Logger.DeletedQueueLeft(Describe(directory), e.Message);
        }

        return true;
    }

    private static Dictionary<string, string> DetailsOf(QueueName name, string? reason)
    {
        var details = new Dictionary<string, string> { ["topic"] = name.Topic };
        if (name.Group is { } group)
        {
            details["group"] = group;
        }

        if (reason is not null)
        {
            details["reason"] = reason;
        }

        return details;
    }
}
