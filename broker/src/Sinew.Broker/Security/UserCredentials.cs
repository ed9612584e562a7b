// The configured users (`auth.users`, "name:password" entries) and the one check both the protocol
// handshake and the HTTP admin endpoints make against them.
using System.Security.Cryptography;
using System.Text;

namespace Sinew.Broker.Security;

internal static class UserCredentials
{
    /// <summary>True when <paramref name="name"/> and <paramref name="password"/> are one of
    /// <paramref name="users"/>.</summary>
    public static bool Match(IEnumerable<string> users, string name, string password)
    {
        var offered = Encoding.UTF8.GetBytes(name + ":" + password);
        var matched = false;
        foreach (var user in users)
        {
            // Compare every entry in constant time so timing does not reveal which names exist.
            matched |= CryptographicOperations.FixedTimeEquals(offered, Encoding.UTF8.GetBytes(user));
        }

        return matched;
    }
}
