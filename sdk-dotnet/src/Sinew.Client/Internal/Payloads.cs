// Serializer defaults shared by OutgoingMessage and Delivery, so both sides of a round trip agree.
using System.Text.Json;

namespace Sinew.Client.Internal;

internal static class Payloads
{
    /// <summary>System.Text.Json's web defaults: camelCase names, case-insensitive reading. Chosen so C# objects
    /// read and write the same JSON as the TypeScript and Python clients' plain objects.</summary>
    public static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web);
}
