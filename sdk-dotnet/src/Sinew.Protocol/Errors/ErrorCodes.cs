// What each error code means for a client, and lookups by the number received on the wire. The
// codes and the table itself are generated from the registry.
namespace Sinew.Protocol.Errors;

/// <summary>The fixed properties of one error code.</summary>
/// <param name="Code">The code.</param>
/// <param name="Name">Its stable snake_case name.</param>
/// <param name="Retryable">Whether brokers mark it retryable.</param>
/// <param name="ClosesConnection">Whether the broker closes the connection after sending it.</param>
public sealed record ErrorCodeInfo(ErrorCode Code, string Name, bool Retryable, bool ClosesConnection);

/// <summary>The table of error codes (specification section 5.2).</summary>
public static partial class ErrorCodes
{
    /// <summary>Every defined code, in numeric order.</summary>
    public static IReadOnlyList<ErrorCodeInfo> All => Table;

    /// <summary>Looks up a code received on the wire; false for codes this version does not know.</summary>
    public static bool TryGet(ushort code, out ErrorCodeInfo info)
    {
        if (code >= 1 && code <= Table.Length)
        {
            info = Table[code - 1];
            return true;
        }

        info = null!;
        return false;
    }

    /// <summary>The properties of a defined code.</summary>
    public static ErrorCodeInfo Get(ErrorCode code) =>
        TryGet((ushort)code, out var info) ? info : throw new ArgumentOutOfRangeException(nameof(code), code, "not a defined error code");

    /// <summary>The stable name of a code, or <c>unknown(N)</c> for one this version does not define.</summary>
    public static string NameOf(ushort code) => TryGet(code, out var info) ? info.Name : $"unknown({code})";
}
