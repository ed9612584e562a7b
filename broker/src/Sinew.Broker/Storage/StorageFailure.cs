// Classifies a failed file operation, so a full disk is answered as a limit the client can wait out
// rather than as a broken broker.
namespace Sinew.Broker.Storage;

internal static class StorageFailure
{
    // errno values on Linux and macOS; on Unix .NET puts the raw errno in IOException.HResult.
    private const int NoSpace = 28;
    private const int QuotaExceeded = 122;
    private const int QuotaExceededMac = 69;

    // Win32 codes wrapped as HRESULTs.
    private const int HandleDiskFull = unchecked((int)0x80070027);
    private const int DiskFull = unchecked((int)0x80070070);

    /// <summary>Whether <paramref name="failure"/> says the disk (or the user's quota) is full.</summary>
    public static bool IsOutOfSpace(Exception failure) =>
        failure is IOException { HResult: var code }
        && (OperatingSystem.IsWindows()
            ? code is HandleDiskFull or DiskFull
            : code is NoSpace || (OperatingSystem.IsMacOS() ? code == QuotaExceededMac : code == QuotaExceeded));
}
