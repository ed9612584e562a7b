// With `auth.enabled`, the HTTP admin endpoints ask for the same users as the protocol, by HTTP Basic
// authentication. Health, readiness and metrics stay open: probes and scrapers rarely carry credentials,
// and they change nothing.
using System.Net.Http.Headers;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Sinew.Broker.Configuration;
using Sinew.Broker.Security;

namespace Sinew.Broker.Http;

internal static class AdminAuthentication
{
    private const string Challenge = "Basic realm=\"sinew-admin\", charset=\"UTF-8\"";

    /// <summary>Answers <c>401</c> to every request of <paramref name="group"/> that does not carry the
    /// credentials of a configured user, when authentication is enabled.</summary>
    public static RouteGroupBuilder RequireConfiguredUser(this RouteGroupBuilder group, AuthOptions auth)
    {
        group.AddEndpointFilter(async (invocation, next) =>
        {
            if (!auth.Enabled || IsConfiguredUser(invocation.HttpContext.Request, auth.Users))
            {
                return await next(invocation).ConfigureAwait(false);
            }

            invocation.HttpContext.Response.Headers.WWWAuthenticate = Challenge;
            return Results.Json(new { error = "the admin endpoints need the credentials of a user in auth.users (HTTP Basic)" },
                statusCode: StatusCodes.Status401Unauthorized);
        });
        return group;
    }

    private static bool IsConfiguredUser(HttpRequest request, IEnumerable<string> users)
    {
        if (!AuthenticationHeaderValue.TryParse(request.Headers.Authorization.ToString(), out var header)
            || !string.Equals(header.Scheme, "Basic", StringComparison.OrdinalIgnoreCase)
            || header.Parameter is not { } encoded)
        {
            return false;
        }

        string pair;
        try
        {
            pair = Encoding.UTF8.GetString(Convert.FromBase64String(encoded));
        }
        catch (FormatException)
        {
            return false;
        }

        var colon = pair.IndexOf(':', StringComparison.Ordinal);
        return colon > 0 && UserCredentials.Match(users, pair[..colon], pair[(colon + 1)..]);
    }
}
