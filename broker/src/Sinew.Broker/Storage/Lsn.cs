// Log sequence numbers: byte positions in a partition's log, counted across segments.
namespace Sinew.Broker.Storage;

/// <summary>Helpers for log sequence numbers (LSNs). An LSN is the number of bytes appended to a
/// partition's log before a record, so it orders records and names a position without saying which
/// segment file holds it; segment files are named by the LSN of their first byte.</summary>
internal static class Lsn
{
    public static string SegmentFileName(long baseLsn) => $"{baseLsn:D20}.seg";

    public static bool TryParseSegmentFileName(string fileName, out long baseLsn)
    {
        baseLsn = 0;
        return fileName.EndsWith(".seg", StringComparison.Ordinal)
               && fileName.Length == 24
               && long.TryParse(fileName.AsSpan(0, 20), System.Globalization.NumberStyles.None, null, out baseLsn);
    }
}
