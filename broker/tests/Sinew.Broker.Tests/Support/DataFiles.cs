// Where a broker keeps a queue's files, for tests that damage them while the broker is stopped.
namespace Sinew.Broker.Tests.Support;

internal static class DataFiles
{
    /// <summary>The directory of the queue named <paramref name="topic"/> (no group).</summary>
    public static string QueueDirectory(string dataDir, string topic) =>
        Directory.GetDirectories(Path.Combine(dataDir, "queues")).Single(d => Path.GetFileName(d).StartsWith(topic + "-", StringComparison.Ordinal));

    /// <summary>The queue's settings file.</summary>
    public static string QueueFile(string dataDir, string topic) => Path.Combine(QueueDirectory(dataDir, topic), "queue.json");

    /// <summary>The segments of partition 0, oldest first.</summary>
    public static List<string> Segments(string dataDir, string topic) =>
        [.. Directory.GetFiles(Path.Combine(QueueDirectory(dataDir, topic), "p0"), "*.seg").Order(StringComparer.Ordinal)];

    /// <summary>The newest segment of partition 0.</summary>
    public static string LastSegment(string dataDir, string topic) => Segments(dataDir, topic)[^1];

    /// <summary>Flips one byte of <paramref name="file"/>, <paramref name="offset"/> bytes after the first (or
    /// last) place where <paramref name="marker"/> stands in it.</summary>
    public static async Task FlipByteAsync(string file, string marker, int offset, bool lastPlace = false)
    {
        var bytes = await File.ReadAllBytesAsync(file);
        var needle = System.Text.Encoding.UTF8.GetBytes(marker);
        var at = lastPlace ? bytes.AsSpan().LastIndexOf(needle) : bytes.AsSpan().IndexOf(needle);
        Assert.True(at >= 0, $"{marker} is not in {file}");
        bytes[at + offset] ^= 0xFF;
        await File.WriteAllBytesAsync(file, bytes);
    }
}
