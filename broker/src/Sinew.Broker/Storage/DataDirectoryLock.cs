// One broker per data directory. Two brokers appending to the same segment files would interleave their
// records and corrupt both logs, so a broker holds an exclusive lock on a file in its data directory
// for as long as it runs. The lock belongs to the open file: a crashed broker releases it with its process.

namespace Sinew.Broker.Storage;

/// <summary>The exclusive claim a running broker holds on its data directory.</summary>
public sealed class DataDirectoryLock : IDisposable
{
    /// <summary>The lock file's name inside the data directory.</summary>
    public const string FileName = "sinew.lock";

    private readonly FileStream _file;

    private DataDirectoryLock(FileStream file) => _file = file;

    /// <summary>Claims <paramref name="dataDirectory"/> (which must exist).</summary>
    /// <exception cref="IOException">Another broker, in this process or another, holds it.</exception>
    public static DataDirectoryLock Acquire(string dataDirectory)
    {
        var path = Path.Combine(dataDirectory, FileName);
        FileStream file;
        try
        {
            // FileShare.None takes an exclusive advisory lock on Unix and a sharing lock on Windows.
            file = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException e)
        {
            throw new IOException(
                $"the data directory {dataDirectory} is in use by another running broker; give each broker its own data directory", e);
        }

        // For people looking at the directory: which process holds it.
        file.SetLength(0);
        var pid = System.Text.Encoding.ASCII.GetBytes($"{Environment.ProcessId}\n");
        file.Write(pid);
        file.Flush();
        return new DataDirectoryLock(file);
    }

    public void Dispose() => _file.Dispose();
}
