// A seam below the log for fault tests: makes a write, an fsync, a segment creation or a read of the backlog
// fail the way a real disk can (permissions, a full disk, an I/O error), without needing a broken disk, or
// holds it while a test looks at what is on disk meanwhile.
namespace Sinew.Broker.Storage;

/// <summary>The file operations of a partition log that a fault can be injected into.</summary>
internal enum StorageOperation
{
    Write,
    Sync,
    CreateSegment,
    /// <summary>Reading the backlog past the index window back from a segment.</summary>
    ReadBacklog,
    /// <summary>Removing a deleted queue's files, once its directory has been renamed out of the way.</summary>
    RemoveQueue,
}

/// <summary>Holds an optional fault for the broker's logs. Unset in production: the only cost is one
/// volatile read per operation.</summary>
internal sealed class StorageFaults
{
    private Func<StorageOperation, string, Exception?>? _inject;

    /// <summary>Called before each operation with the file it touches; a returned exception is thrown
    /// as if the operation itself had failed.</summary>
    public Func<StorageOperation, string, Exception?>? Inject
    {
        get => Volatile.Read(ref _inject);
        set => Volatile.Write(ref _inject, value);
    }

    public void Check(StorageOperation operation, string path)
    {
        if (Inject?.Invoke(operation, path) is { } failure)
        {
            throw failure;
        }
    }
}
