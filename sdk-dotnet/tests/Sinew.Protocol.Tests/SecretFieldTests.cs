// Pins that a field the registry marks secret never shows in the string form of its type, nor of
// a message or record that holds it: records print every property, and a Hello reaches logs.
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Text.Json.Nodes;
using Sinew.Protocol.Messages;

namespace Sinew.Protocol.Tests;

public class SecretFieldTests
{
    private const string SecretValue = "s3cret-never-printed";

    [Fact]
    public void Auth_prints_its_secret_as_stars()
    {
        var auth = new Auth(AuthMechanism.Plain, "alice", SecretValue);

        Assert.Equal("Auth { Mechanism = Plain, Identity = alice, Secret = *** }", auth.ToString());
    }

    [Fact]
    public void A_hello_carrying_credentials_does_not_print_the_secret()
    {
        var hello = new Hello(1, 1, "sinew-test", "1.0.0", new Auth(AuthMechanism.Token, "", SecretValue));

        var text = hello.ToString();

        Assert.DoesNotContain(SecretValue, text, StringComparison.Ordinal);
        Assert.Contains("Auth = Auth { Mechanism = Token, Identity = , Secret = *** }", text, StringComparison.Ordinal);
        Assert.Contains("ClientName = sinew-test", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_field_the_registry_marks_secret_is_hidden_in_its_type_and_in_every_type_holding_it()
    {
        var secretFields = SecretFields().ToList();
        Assert.NotEmpty(secretFields); // Auth.secret at least; without it this test would check nothing

        foreach (var (owner, field) in secretFields)
        {
            var value = WithProperty(WireJson.MessageType(owner), field, SecretValue);
            Assert.DoesNotContain(SecretValue, value.ToString(), StringComparison.Ordinal);
            Assert.Contains($"{field} = ***", value.ToString(), StringComparison.Ordinal);

            foreach (var (holder, holderField) in FieldsOfType($"record:{owner}"))
            {
                var held = WithProperty(WireJson.MessageType(holder), holderField, value);
                Assert.DoesNotContain(SecretValue, held.ToString(), StringComparison.Ordinal);
            }
        }
    }

    private static IEnumerable<(string Owner, string Field)> SecretFields() =>
        Owners().SelectMany(o => o.Fields
            .Where(f => (bool?)f!["secret"] == true)
            .Select(f => (o.Name, Pascal((string)f!["name"]!))));

    private static IEnumerable<(string Owner, string Field)> FieldsOfType(string type) =>
        Owners().SelectMany(o => o.Fields
            .Where(f => (string)f!["type"]! == type)
            .Select(f => (o.Name, Pascal((string)f!["name"]!))));

    private static IEnumerable<(string Name, JsonArray Fields)> Owners()
    {
        var registry = VectorFiles.Protocol;
        foreach (var op in registry["ops"]!.AsArray())
        {
            yield return ((string)op!["name"]!, op["fields"]!.AsArray());
        }
        foreach (var (name, fields) in registry["records"]!.AsObject())
        {
            yield return (name, fields!.AsArray());
        }
    }

    /// <summary>An instance with every other property left at its default, which is enough to print it.</summary>
    private static object WithProperty(Type type, string property, object value)
    {
        var instance = RuntimeHelpers.GetUninitializedObject(type);
        type.GetProperty(property, BindingFlags.Public | BindingFlags.Instance)!.SetValue(instance, value);
        return instance;
    }

    private static string Pascal(string snake) =>
        string.Concat(snake.Split('_').Select(part => char.ToUpperInvariant(part[0]) + part[1..]));
}
