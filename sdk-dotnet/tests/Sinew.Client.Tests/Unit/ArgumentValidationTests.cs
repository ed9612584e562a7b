// Checks made before sending: names (against the shared vectors), groups, header keys and values, and the
// limits on content types and settlement reasons. Handles refuse bad arguments without touching the network.
using System.Text.Json.Nodes;
using Sinew.Client.Internal;

namespace Sinew.Client.Tests.Unit;

public class ArgumentValidationTests
{
    public static TheoryData<string> NameIds() => Ids("names");

    public static TheoryData<string> HeaderIds() => Ids("header_keys");

    public static TheoryData<string> GroupIds() => Ids("groups");

    [Theory(Timeout = 5000)]
    [MemberData(nameof(NameIds))]
    public async Task A_name_is_accepted_or_refused_with_the_shared_vector_reason(string id)
    {
        var vector = Case("names", id);
        var name = (string)vector["value"]!;
        if ((bool)vector["valid"]!)
        {
            Assert.Equal(name, Arguments.Topic(name));
        }
        else
        {
            var error = Assert.Throws<InvalidArgumentException>(() => Arguments.Topic(name));
            Assert.Equal("topic", error.Argument);
            Assert.Equal((string)vector["reason"]!, error.Reason);
        }

        await Task.CompletedTask;
    }

    [Theory(Timeout = 5000)]
    [MemberData(nameof(NameIds))]
    public async Task A_subscription_topic_follows_the_same_vectors_except_that_it_may_start_with_a_dollar(string id)
    {
        var vector = Case("names", id);
        var name = (string)vector["value"]!;
        var expected = (string?)vector["reason"] == "reserved_prefix" ? null : (string?)vector["reason"];
        if (expected is null)
        {
            Assert.Equal(name, Arguments.SubscribeTopic(name));
        }
        else
        {
            Assert.Equal(expected, Assert.Throws<InvalidArgumentException>(() => Arguments.SubscribeTopic(name)).Reason);
        }

        await Task.CompletedTask;
    }

    [Theory(Timeout = 5000)]
    [InlineData("$dead-letters", null)]
    [InlineData("$", null)]
    [InlineData("$dead letters", "whitespace")]
    [InlineData("$dead/letters", "reserved_character")]
    [InlineData("$dead\u0001", "control_character")]
    public async Task A_dollar_topic_passes_for_a_subscription_and_every_other_rule_still_applies(string topic, string? reason)
    {
        if (reason is null)
        {
            Assert.Equal(topic, Arguments.SubscribeTopic(topic));
        }
        else
        {
            Assert.Equal(reason, Assert.Throws<InvalidArgumentException>(() => Arguments.SubscribeTopic(topic)).Reason);
        }

        // Declaring and publishing refuse every one of them for its prefix, which is checked before the characters.
        Assert.Equal("reserved_prefix", Assert.Throws<InvalidArgumentException>(() => Arguments.Topic(topic)).Reason);
        await Task.CompletedTask;
    }

    [Theory(Timeout = 5000)]
    [MemberData(nameof(HeaderIds))]
    public async Task A_header_key_is_accepted_or_refused_with_the_shared_vector_reason(string id)
    {
        var vector = Case("header_keys", id);
        var key = (string)vector["key"]!;
        var headers = new Dictionary<string, string> { [key] = "v" };
        if ((bool)vector["allowed"]!)
        {
            Arguments.Headers(headers, 64);
        }
        else
        {
            var error = Assert.Throws<InvalidArgumentException>(() => Arguments.Headers(headers, 64));
            Assert.Equal("Headers", error.Argument);
            Assert.Equal((string)vector["reason"]!, error.Reason);
        }

        await Task.CompletedTask;
    }

    [Theory(Timeout = 5000)]
    [MemberData(nameof(GroupIds))]
    public async Task A_group_normalises_as_the_shared_vector_says(string id)
    {
        var vector = Case("groups", id);
        Assert.Equal((string?)vector["normalised"], Arguments.Group((string?)vector["group"]));
        await Task.CompletedTask;
    }

    [Theory(Timeout = 5000)]
    [InlineData("sinew.retry")]
    [InlineData("Sinew.Retry")]
    [InlineData("SINEW.dlq.reason")]
    public async Task A_reserved_header_is_refused_with_advice(string key)
    {
        var error = Assert.Throws<InvalidArgumentException>(() => Arguments.Headers(new Dictionary<string, string> { [key] = "1" }, 64));
        Assert.Equal("reserved_prefix", error.Reason);
        Assert.Contains("sinew.client.", error.Message, StringComparison.Ordinal);
        await Task.CompletedTask;
    }

    [Fact(Timeout = 5000)]
    public async Task The_client_prefix_is_allowed()
    {
        Arguments.Headers(new Dictionary<string, string> { ["sinew.client.trace"] = "1", ["Sinew.Client.X"] = "2" }, 64);
        await Task.CompletedTask;
    }

    [Fact(Timeout = 5000)]
    public async Task Header_values_longer_than_4096_bytes_and_too_many_headers_are_refused()
    {
        Assert.Equal("too_long", Assert.Throws<InvalidArgumentException>(() =>
            Arguments.Headers(new Dictionary<string, string> { ["k"] = new string('é', 2049) }, 64)).Reason);
        Arguments.Headers(new Dictionary<string, string> { ["k"] = new string('x', 4096) }, 64);
        var many = Enumerable.Range(0, 5).ToDictionary(i => $"h{i}", i => "v");
        Assert.Equal("too_many", Assert.Throws<InvalidArgumentException>(() => Arguments.Headers(many, 4)).Reason);
        await Task.CompletedTask;
    }

    [Fact(Timeout = 5000)]
    public async Task Content_types_over_255_bytes_and_settlement_reasons_over_1024_bytes_are_refused()
    {
        Arguments.ContentType(new string('c', 255));
        Assert.Equal("too_long", Assert.Throws<InvalidArgumentException>(() => Arguments.ContentType(new string('c', 256))).Reason);
        Arguments.SettlementReason(new string('r', 1024));
        Assert.Equal("too_long", Assert.Throws<InvalidArgumentException>(() => Arguments.SettlementReason(new string('r', 1025))).Reason);
        await Task.CompletedTask;
    }

    [Fact(Timeout = 5000)]
    public async Task Producer_ids_are_limited_to_64_bytes()
    {
        Arguments.ProducerId(new string('p', 64));
        Assert.Equal("too_long", Assert.Throws<InvalidArgumentException>(() => Arguments.ProducerId(new string('p', 65))).Reason);
        await Task.CompletedTask;
    }

    [Fact(Timeout = 5000)]
    public async Task Handles_refuse_bad_arguments_without_connecting()
    {
        // Nothing listens on port 1: any attempt to connect would fail with ConnectionException instead.
        await using var client = new SinewClient(new SinewClientOptions { Endpoints = ["127.0.0.1:1"] });
        Assert.Equal("whitespace", Assert.Throws<InvalidArgumentException>(() => client.CreatePublisher("my orders")).Reason);
        Assert.Equal("reserved_prefix", Assert.Throws<InvalidArgumentException>(() => client.CreatePublisher("$sys")).Reason);
        Assert.Equal("reserved_character", (await Assert.ThrowsAsync<InvalidArgumentException>(() => client.DeclareQueueAsync("a/b"))).Reason);
        Assert.Equal("out_of_range", (await Assert.ThrowsAsync<InvalidArgumentException>(() =>
            client.DeclareQueueAsync("orders", new QueueOptions { Partitions = 0 }))).Reason);
        Assert.Equal("out_of_range", (await Assert.ThrowsAsync<InvalidArgumentException>(() =>
            client.SubscribeAsync("orders", new SubscribeOptions { Prefetch = 0 }))).Reason);
        Assert.Equal("too_long", Assert.Throws<InvalidArgumentException>(() =>
            client.CreateReliablePublisher("orders", new ReliablePublisherOptions { ProducerId = new string('p', 65) })).Reason);
        Assert.False(client.IsConnected);
    }

    private static TheoryData<string> Ids(string section) =>
        new(RepositoryFiles.WireVector("names.json")[section]!.AsArray().Select(c => (string)c!["id"]!));

    private static JsonNode Case(string section, string id) =>
        RepositoryFiles.WireVector("names.json")[section]!.AsArray().Single(c => (string)c!["id"]! == id)!;
}
