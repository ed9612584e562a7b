// The library's version, as sent in Hello and stamped on the activity source.
using System.Reflection;

namespace Sinew.Client.Internal;

/// <summary>The library's version, as sent in Hello and stamped on the activity source.</summary>
internal static class ClientVersion
{
    public static readonly string Value = Read();

    private static string Read()
    {
        var informational = typeof(ClientVersion).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion;
        if (string.IsNullOrEmpty(informational))
        {
            return typeof(ClientVersion).Assembly.GetName().Version?.ToString() ?? "0.0.0";
        }

        // The build appends "+<commit>"; the broker's admin view wants the release.
        var plus = informational.IndexOf('+', StringComparison.Ordinal);
        return plus < 0 ? informational : informational[..plus];
    }
}
