// Making a directory's entries durable: new files, renames and deletions live in the directory, and
// fsyncing the files alone does not make those changes survive a power loss.
using System.Runtime.InteropServices;

namespace Sinew.Broker.Storage;

internal static partial class DirectorySync
{
    /// <summary>Fsyncs <paramref name="directory"/>. .NET refuses to open a directory as a file handle on
    /// Unix, so this opens it with open(2) and calls fsync(2) directly. Windows has no equivalent (NTFS
    /// journals its metadata), so there it does nothing.</summary>
    /// <exception cref="IOException">The directory could not be opened or synced; the error names it.</exception>
    public static void Sync(string directory)
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        var fd = open(directory, ReadOnlyDirectoryFlags);
        if (fd < 0)
        {
            throw Failure("opening", directory, Marshal.GetLastPInvokeError());
        }

        try
        {
            if (fsync(fd) != 0)
            {
                throw Failure("fsyncing", directory, Marshal.GetLastPInvokeError());
            }
        }
        finally
        {
            _ = close(fd);
        }
    }

    /// <summary>Creates <paramref name="directory"/> and any missing parents, and makes each new entry
    /// durable by fsyncing the directory that holds it.</summary>
    public static void CreateDirectory(string directory)
    {
        var full = Path.GetFullPath(directory);
        if (Directory.Exists(full))
        {
            return;
        }

        var parent = Path.GetDirectoryName(full);
        if (parent is not null)
        {
            CreateDirectory(parent);
        }

        Directory.CreateDirectory(full);
        if (parent is not null)
        {
            Sync(parent);
        }
    }

    private static IOException Failure(string action, string directory, int errno) =>
        new($"{action} directory {directory} failed: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})", errno);

    // O_RDONLY is 0 everywhere; O_DIRECTORY differs by platform (and by CPU on Linux). Opening read-only
    // works on every Unix without it: the flag only adds a check that the path is a directory.
    private static int ReadOnlyDirectoryFlags
    {
        get
        {
            if (OperatingSystem.IsLinux())
            {
                return RuntimeInformation.ProcessArchitecture switch
                {
                    Architecture.X64 or Architecture.X86 => 0x10000,
                    Architecture.Arm64 or Architecture.Arm => 0x4000,
                    _ => 0,
                };
            }

            if (OperatingSystem.IsMacOS())
            {
                return 0x100000;
            }

            return OperatingSystem.IsFreeBSD() ? 0x20000 : 0;
        }
    }

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int fsync(int fd);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int close(int fd);
}
