// The secret of SinewCredentials goes into the handshake and nowhere else: no public member returns it, and neither
// ToString nor JSON serialisation shows it, as in the TypeScript and Python clients.
using System.Reflection;
using System.Text.Json;

namespace Sinew.Client.Tests.Unit;

public class CredentialsSecretTests
{
    private const string Secret = "s3cret-password";

    public static TheoryData<string> Kinds => ["plain", "token"];

    [Theory(Timeout = 10_000)]
    [MemberData(nameof(Kinds))]
    public async Task No_public_member_returns_the_secret(string kind)
    {
        await Task.Yield();
        var credentials = Make(kind);
        var values = typeof(SinewCredentials).GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Select(p => p.GetValue(credentials))
            .Concat(typeof(SinewCredentials).GetFields(BindingFlags.Public | BindingFlags.Instance).Select(f => f.GetValue(credentials)));
        Assert.DoesNotContain(Secret, values.OfType<string>());
        Assert.Null(typeof(SinewCredentials).GetProperty("Secret", BindingFlags.Public | BindingFlags.Instance));
    }

    [Theory(Timeout = 10_000)]
    [MemberData(nameof(Kinds))]
    public async Task Neither_ToString_nor_JSON_shows_the_secret(string kind)
    {
        await Task.Yield();
        var credentials = Make(kind);
        Assert.DoesNotContain(Secret, credentials.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain(Secret, JsonSerializer.Serialize(credentials), StringComparison.Ordinal);
    }

    [Fact(Timeout = 10_000)]
    public async Task The_handshake_record_carries_the_secret()
    {
        await Task.Yield();
        Assert.Equal(Secret, SinewCredentials.Plain("alice", Secret).ToWire().Secret);
        Assert.Equal(SinewCredentials.Plain("alice", Secret), SinewCredentials.Plain("alice", Secret));
        Assert.NotEqual(SinewCredentials.Plain("alice", Secret), SinewCredentials.Plain("alice", "other"));
    }

    private static SinewCredentials Make(string kind) =>
        kind == "plain" ? SinewCredentials.Plain("alice", Secret) : SinewCredentials.Token(Secret);
}
