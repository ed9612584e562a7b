// Replacing a small file so that after a crash it holds either the old or the new content.
namespace Sinew.Broker.Storage;

internal static class AtomicFile
{
    /// <summary>Writes to a temporary file, fsyncs it, renames it over <paramref name="path"/> and fsyncs
    /// the directory, so the rename itself survives a power loss.</summary>
    public static void Write(string path, string contents) => Write(path, System.Text.Encoding.UTF8.GetBytes(contents));

    public static void Write(string path, ReadOnlySpan<byte> contents)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
        Storage.DirectorySync.CreateDirectory(directory);
        var temporary = path + ".tmp";
        using (var handle = File.OpenHandle(temporary, FileMode.Create, FileAccess.Write))
        {
            RandomAccess.Write(handle, contents, 0);
            RandomAccess.FlushToDisk(handle);
        }

        File.Move(temporary, path, overwrite: true);
        Storage.DirectorySync.Sync(directory);
    }
}
