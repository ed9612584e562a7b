// The directory fsync that makes new segments and atomic renames durable: it must really run, and fail
// loudly rather than be skipped.
using Sinew.Broker.Storage;
using Sinew.Broker.Tests.Support;

namespace Sinew.Broker.Tests.Engine;

public class DirectorySyncTests
{
    [Fact]
    public void Syncing_a_directory_succeeds()
    {
        var directory = TempDirectory.Create("dirsync");
        DirectorySync.Sync(directory);
        TempDirectory.Delete(directory);
    }

    [Fact]
    public void Syncing_a_directory_that_cannot_be_opened_fails_with_its_path()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        var missing = Path.Combine(Path.GetTempPath(), $"sinew-missing-{Guid.NewGuid():N}");
        var failure = Assert.Throws<IOException>(() => DirectorySync.Sync(missing));
        Assert.Contains(missing, failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Creating_nested_directories_creates_every_level()
    {
        var root = TempDirectory.Create("dirsync");
        var nested = Path.Combine(root, "a", "b", "c");
        DirectorySync.CreateDirectory(nested);
        Assert.True(Directory.Exists(nested));
        TempDirectory.Delete(root);
    }
}
