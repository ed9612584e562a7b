// The expectation language scenarios are written in: paths, matchers and variables.
using System.Text.Json.Nodes;
using Sinew.Conformance.Scenarios;

namespace Sinew.Conformance.Tests;

public class ExpectationTests
{
    private static readonly JsonNode Delivery = JsonNode.Parse("""
        {"offset": "12", "partition": 2, "attempt": 1, "payload_text": "{\"a\": 1}",
         "headers": {"tenant": "acme", "sinew.dlq.reason": "expired"},
         "receipts": [{"partition": 0}, {"partition": 1}, {"partition": 1}]}
        """)!;

    [Theory]
    [InlineData("""{"offset": "12"}""")]
    [InlineData("""{"offset": 12}""")]
    [InlineData("""{"partition": "2"}""")]
    [InlineData("""{"headers.sinew.dlq.reason": "expired", "headers.tenant": "acme"}""")]
    [InlineData("""{"offset": {"gt": "11"}, "attempt": {"gte": 1}, "partition": {"lt": 3}}""")]
    [InlineData("""{"payload_text": {"json_equals": {"a": 1}}}""")]
    [InlineData("""{"receipts": {"length": 3}, "receipts.2.partition": 1}""")]
    [InlineData("""{"receipts.*.partition": {"multiset": [1, 0, 1]}}""")]
    [InlineData("""{"receipts.*.partition": {"set": [0, 1]}}""")]
    [InlineData("""{"receipts": {"contains_item": {"partition": 0}}}""")]
    [InlineData("""{"missing": {"absent": true}, "offset": {"present": true}}""")]
    [InlineData("""{"offset": {"ne": "13"}}""")]
    public void Expectations_that_hold_report_nothing(string expectation)
    {
        Assert.Empty(Expectations.Check(Delivery, JsonNode.Parse(expectation)!.AsObject()));
    }

    [Theory]
    [InlineData("""{"offset": "13"}""", "offset is \"12\", expected \"13\"")]
    [InlineData("""{"headers.sinew.dlq.reason": "terminal_nack"}""", "headers.sinew.dlq.reason")]
    [InlineData("""{"attempt": {"gt": 1}}""", "not greater than 1")]
    [InlineData("""{"receipts.*.partition": {"multiset": [0, 0, 1]}}""", "in any order")]
    [InlineData("""{"nowhere": 1}""", "nowhere is missing")]
    [InlineData("""{"offset": {"absent": true}}""", "should be absent")]
    [InlineData("""{"payload_text": {"json_equals": {"a": 2}}}""", "not JSON equal")]
    public void Expectations_that_do_not_hold_say_why(string expectation, string reason)
    {
        var failure = Assert.Single(Expectations.Check(Delivery, JsonNode.Parse(expectation)!.AsObject()));
        Assert.Contains(reason, failure, StringComparison.Ordinal);
    }

    [Fact]
    public void Variables_substitute_whole_values_keep_their_type_and_interpolate_inside_strings()
    {
        var variables = new Variables { Clock = () => 1000 };
        variables.Set("q", JsonValue.Create("orders"));
        variables.Set("t", JsonValue.Create(5000));
        var step = JsonNode.Parse("""{"topic": "${q}", "note": "queue ${q}!", "at": "${t+250}", "now": "${now-1}", "p": "${fnv:foobar:10}"}""");
        var substituted = variables.Substitute(step)!.AsObject();
        Assert.Equal("orders", (string)substituted["topic"]!);
        Assert.Equal("queue orders!", (string)substituted["note"]!);
        Assert.Equal(5250, (long)substituted["at"]!);
        Assert.Equal(999, (long)substituted["now"]!);
        // fnv1a64("foobar") = 9625390261332436968; mod 10 it is 8 (wire-vectors/partitioning.json).
        Assert.Equal(8u, (uint)substituted["p"]!);
    }

    [Fact]
    public void Computed_time_marks_compare_with_numbers_from_a_driver()
    {
        var variables = new Variables();
        variables.Set("sent", JsonValue.Create(1_795_461_956_000L));
        var expectation = variables.Substitute(JsonNode.Parse("""{"received_at_ms": {"gte": "${sent+800}"}}"""))!.AsObject();
        Assert.Empty(Expectations.Check(JsonNode.Parse("""{"received_at_ms": 1795461956801}"""), expectation));
        var early = Assert.Single(Expectations.Check(JsonNode.Parse("""{"received_at_ms": 1795461956799}"""), expectation));
        Assert.Contains("received_at_ms", early, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unknown_variable_is_an_error_not_an_empty_string()
    {
        Assert.Throws<KeyNotFoundException>(() => new Variables().Substitute(JsonValue.Create("${never}")));
    }
}
