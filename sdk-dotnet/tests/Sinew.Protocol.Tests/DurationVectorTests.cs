// Duration ranges, the broker's answer to a heartbeat proposal and the client's reading of an announced heartbeat
// against wire-vectors/durations.json; saturating deadlines.
using System.Globalization;
using System.Text.Json.Nodes;
using Sinew.Protocol.Timing;

namespace Sinew.Protocol.Tests;

public class DurationVectorTests
{
    private static readonly Lazy<JsonObject> Vectors = new(() => VectorFiles.Load("durations.json"));

    public static TheoryData<string> DurationIds() => Ids("durations");

    public static TheoryData<string> HeartbeatIds() => Ids("heartbeats");

    public static TheoryData<string> AnnouncedHeartbeatIds() => Ids("hello_ok_heartbeats");

    internal static long NowMs => long.Parse((string)Vectors.Value["now_ms"]!, CultureInfo.InvariantCulture);

    internal static DurationField Field(string wireName) =>
        Enum.GetValues<DurationField>().Single(f => f.WireName() == wireName);

    internal static bool DurationOutcome(JsonNode c) =>
        DurationRules.IsValid(Field((string)c["field"]!), U64(c["value"]), NowMs);

    internal static ulong HeartbeatOutcome(JsonNode c) =>
        DurationRules.NegotiateHeartbeat(c["proposed"] is null ? null : U64(c["proposed"]), U64(c["broker_interval"]));

    [Fact]
    public void Every_duration_field_has_the_vector_range_and_error_field()
    {
        var fields = Vectors.Value["fields"]!.AsArray();
        Assert.Equal(Enum.GetValues<DurationField>().Select(f => f.WireName()).Order(), fields.Select(f => (string)f!["field"]!).Order());
        var limits = VectorFiles.Protocol["limits"]!;
        foreach (var entry in fields)
        {
            var field = Field((string)entry!["field"]!);
            Assert.Equal((string)entry["error_field"]!, field.ErrorField());
            Assert.Equal((bool)entry["from_now"]!, field.IsTime());
            Assert.Equal(U64(entry["max"]), field.Max());
            Assert.Equal(U64(entry["max"]), (ulong)limits[(string)entry["max_limit"]!]!);
            if (!field.IsTime())
            {
                Assert.Equal(U64(entry["min"]), field.Min());
            }
        }
    }

    [Theory]
    [MemberData(nameof(DurationIds))]
    public void Duration_is_accepted_or_refused_as_the_vector_says(string id)
    {
        var c = Case("durations", id);
        Assert.Equal((bool)c["valid"]!, DurationOutcome(c));
        Assert.Equal((bool)c["valid"]! ? null : DurationRules.OutOfRange, (string?)c["reason"]);
    }

    [Theory]
    [MemberData(nameof(HeartbeatIds))]
    public void Heartbeat_proposal_is_answered_as_the_vector_says(string id)
    {
        var c = Case("heartbeats", id);
        Assert.Equal(U64(c["negotiated"]), HeartbeatOutcome(c));
        Assert.Equal((bool)c["sendable"]!, c["proposed"] is null || U64(c["proposed"]) <= DurationLimits.MaxHeartbeatMs);
    }

    [Theory]
    [MemberData(nameof(AnnouncedHeartbeatIds))]
    public void Announced_heartbeat_is_used_as_the_vector_says(string id)
    {
        var c = Case("hello_ok_heartbeats", id);
        Assert.Equal(U64(c["used"]), DurationRules.AcceptHeartbeat(U64(c["announced"])));
    }

    [Fact]
    public void A_deadline_saturates_instead_of_wrapping_into_the_past()
    {
        const long now = 1_767_225_600_000;
        Assert.Equal(now + 1000, DurationRules.Deadline(now, 1000));
        Assert.Equal(now + (long)DurationLimits.MaxTtlMs, DurationRules.Deadline(now, DurationLimits.MaxTtlMs));
        Assert.Equal(long.MaxValue, DurationRules.Deadline(now, 1UL << 63));
        Assert.Equal(long.MaxValue, DurationRules.Deadline(now, ulong.MaxValue));
        Assert.Equal(long.MaxValue, DurationRules.Deadline(now, (ulong)(long.MaxValue - now)));
        Assert.Equal(long.MaxValue, DurationRules.Time(ulong.MaxValue));
        Assert.Equal(now, DurationRules.Time((ulong)now));
    }

    [Fact]
    public void Every_bound_is_exact_in_a_javascript_number()
    {
        const ulong maxSafeInteger = (1UL << 53) - 1;
        foreach (var field in Enum.GetValues<DurationField>())
        {
            Assert.True(field.Max() <= maxSafeInteger, $"{field.WireName()}");
        }

        Assert.True(DurationLimits.MaxHeartbeatMs <= maxSafeInteger);
    }

    internal static ulong U64(JsonNode? value) => ulong.Parse((string)value!, CultureInfo.InvariantCulture);

    private static TheoryData<string> Ids(string section) =>
        new(Vectors.Value[section]!.AsArray().Select(c => (string)c!["id"]!));

    private static JsonNode Case(string section, string id) =>
        Vectors.Value[section]!.AsArray().Single(c => (string)c!["id"]! == id)!;
}
