// Name rules, header-key rules, group normalisation and FNV-1a routing against the shared vectors.
using System.Globalization;
using System.Text.Json.Nodes;
using Sinew.Protocol.Naming;
using Sinew.Protocol.Routing;

namespace Sinew.Protocol.Tests;

public class NameVectorTests
{
    public static TheoryData<string> NameIds() => Ids("names");

    public static TheoryData<string> HeaderIds() => Ids("header_keys");

    public static TheoryData<string> GroupIds() => Ids("groups");

    public static TheoryData<string> PartitioningIds() =>
        new(VectorFiles.Load("partitioning.json")["vectors"]!.AsArray().Select(v => (string)v!["id"]!));

    internal static string? NameOutcome(JsonNode c) => NameRules.Validate((string)c["value"]!)?.WireName();

    internal static string? HeaderOutcome(JsonNode c) => HeaderRules.ValidateKey((string)c["key"]!)?.WireName();

    [Theory]
    [MemberData(nameof(NameIds))]
    public void Name_is_accepted_or_refused_with_the_vector_reason(string id)
    {
        var c = Case("names", id);
        Assert.Equal((string?)c["reason"], NameOutcome(c));
        Assert.Equal((bool)c["valid"]!, NameOutcome(c) is null);
    }

    [Theory]
    [MemberData(nameof(NameIds))]
    public void Where_a_broker_owned_queue_may_be_named_only_the_dollar_rule_is_lifted(string id)
    {
        var c = Case("names", id);
        var name = (string)c["value"]!;
        var lifted = NameRules.Validate(name, allowReservedPrefix: true)?.WireName();
        if ((string?)c["reason"] == "reserved_prefix")
        {
            // The same name with an ordinary first character: every later rule decides as before.
            Assert.Equal(NameRules.Validate("_" + name[1..])?.WireName(), lifted);
        }
        else
        {
            Assert.Equal((string?)c["reason"], lifted);
        }
    }

    [Fact]
    public void A_dollar_name_allowed_for_a_broker_owned_queue_still_follows_every_other_rule()
    {
        Assert.Null(NameRules.Validate("$dead-letters", allowReservedPrefix: true));
        Assert.Equal(NameProblem.ReservedPrefix, NameRules.Validate("$dead-letters"));
        Assert.Equal(NameProblem.Whitespace, NameRules.Validate("$dead letters", allowReservedPrefix: true));
        Assert.Equal(NameProblem.ReservedCharacter, NameRules.Validate("$dead>", allowReservedPrefix: true));
        Assert.Equal(NameProblem.TooLong, NameRules.Validate("$" + new string('d', 200), allowReservedPrefix: true));
    }

    [Theory]
    [MemberData(nameof(HeaderIds))]
    public void Header_key_is_allowed_or_refused_with_the_vector_reason(string id)
    {
        var c = Case("header_keys", id);
        Assert.Equal((string?)c["reason"], HeaderOutcome(c));
        Assert.Equal((bool)c["allowed"]!, HeaderOutcome(c) is null);
    }

    [Theory]
    [MemberData(nameof(GroupIds))]
    public void Group_normalises_as_the_vector_says(string id)
    {
        var c = Case("groups", id);
        Assert.Equal((string?)c["normalised"], GroupNames.Normalise((string?)c["group"]));
    }

    [Theory]
    [MemberData(nameof(PartitioningIds))]
    public void Partition_key_hashes_and_routes_as_the_vector_says(string id)
    {
        var vector = VectorFiles.Load("partitioning.json")["vectors"]!.AsArray().Single(v => (string)v!["id"]! == id)!;
        var key = Convert.FromHexString((string)vector["key_hex"]!);
        Assert.Equal((string)vector["fnv1a64"]!, Fnv1a.Hash64(key).ToString(CultureInfo.InvariantCulture));
        if (vector["key_utf8"] is JsonValue text)
        {
            Assert.Equal(Fnv1a.Hash64(key), Fnv1a.Hash64(text.GetValue<string>()));
        }

        foreach (var expected in vector["partitions"]!.AsArray())
        {
            var count = (uint)expected!["count"]!;
            Assert.Equal((uint)expected["partition"]!, PartitionRouting.PartitionForKey(key, count));
        }
    }

    [Fact]
    public void A_name_with_an_unpaired_surrogate_is_invalid_unicode()
    {
        Assert.Equal(NameProblem.InvalidUnicode, NameRules.Validate("orders\ud800"));
        Assert.Equal(HeaderKeyProblem.InvalidUnicode, HeaderRules.ValidateKey("\udc00key"));
        Assert.Null(NameRules.Validate("orders\ud83d\ude80"));
    }

    [Fact]
    public void A_producer_id_is_limited_to_64_bytes()
    {
        Assert.Null(NameRules.Validate(new string('p', 64), NameRules.MaxProducerIdBytes));
        Assert.Equal(NameProblem.TooLong, NameRules.Validate(new string('p', 65), NameRules.MaxProducerIdBytes));
    }

    private static TheoryData<string> Ids(string section) =>
        new(VectorFiles.Load("names.json")[section]!.AsArray().Select(c => (string)c!["id"]!));

    private static JsonNode Case(string section, string id) =>
        VectorFiles.Load("names.json")[section]!.AsArray().Single(c => (string)c!["id"]! == id)!;
}
