// Why a message left its queue through the dead-letter policy: stored in the log, counted in the metrics and
// written into the copy's sinew.dlq.reason header.
namespace Sinew.Broker;

/// <summary>Why a message was dead-lettered. Stored as a byte: values are append-only.</summary>
internal enum DeadLetterReason : byte
{
    RetriesExhausted = 1,
    TerminalNack = 2,
    Expired = 3,
}

/// <summary>The names the reasons go by outside the broker (headers and metric labels).</summary>
internal static class DeadLetterReasons
{
    public static string WireName(this DeadLetterReason reason) => reason switch
    {
        DeadLetterReason.RetriesExhausted => "retries_exhausted",
        DeadLetterReason.TerminalNack => "terminal_nack",
        _ => "expired",
    };
}
