// The client's duration checks against the shared vectors (wire-vectors/durations.json): a TimeSpan option is refused
// exactly when the milliseconds it is sent as are outside the field's range, and a heartbeat only when it is over
// five minutes.
using System.Globalization;
using System.Text.Json.Nodes;
using Sinew.Client.Internal;
using Sinew.Protocol.Timing;

namespace Sinew.Client.Tests.Unit;

public class DurationValidationTests
{
    public static TheoryData<string> DurationIds() =>
        new(Cases("durations").Where(c => !Field(c).IsTime()).Select(c => (string)c["id"]!));

    public static TheoryData<string> HeartbeatIds() =>
        new(Cases("heartbeats").Where(c => c["proposed"] is not null).Select(c => (string)c["id"]!));

    [Theory(Timeout = 5000)]
    [MemberData(nameof(DurationIds))]
    public async Task A_duration_is_accepted_or_refused_as_the_shared_vector_says(string id)
    {
        var vector = Case("durations", id);
        var milliseconds = ulong.Parse((string)vector["value"]!, CultureInfo.InvariantCulture);
        // Past TimeSpan.MaxValue a duration cannot be written in C# at all; the longest one that can must be refused.
        var value = milliseconds >= (ulong)TimeSpan.MaxValue.TotalMilliseconds ? TimeSpan.MaxValue : TimeSpan.FromMilliseconds(milliseconds);
        void Check() => Arguments.InRange(value, Field(vector), "Value", "value");
        if ((bool)vector["valid"]!)
        {
            Check();
            Assert.Equal(milliseconds, Durations.ToMilliseconds(value));
        }
        else
        {
            var error = Assert.Throws<InvalidArgumentException>(Check);
            Assert.Equal(("Value", "out_of_range"), (error.Argument, error.Reason));
        }

        await Task.CompletedTask;
    }

    [Theory(Timeout = 5000)]
    [MemberData(nameof(HeartbeatIds))]
    public async Task A_heartbeat_may_be_proposed_only_where_the_shared_vector_allows(string id)
    {
        var vector = Case("heartbeats", id);
        var milliseconds = ulong.Parse((string)vector["proposed"]!, CultureInfo.InvariantCulture);
        var value = milliseconds >= (ulong)TimeSpan.MaxValue.TotalMilliseconds ? TimeSpan.MaxValue : TimeSpan.FromMilliseconds(milliseconds);
        var problems = SinewClientOptionsValidator.Problems(new SinewClientOptions { Heartbeat = value });
        if ((bool)vector["sendable"]!)
        {
            Assert.Empty(problems);
        }
        else
        {
            Assert.Equal(("Heartbeat", "out_of_range"), (Assert.Single(problems).Argument, Assert.Single(problems).Reason));
        }

        await Task.CompletedTask;
    }

    [Fact(Timeout = 5000)]
    public async Task Durations_are_checked_as_sent_rounded_up_to_whole_milliseconds_without_overflow()
    {
        var justOver = TimeSpan.FromDays(3650) + TimeSpan.FromTicks(1);
        Assert.Equal("out_of_range", Assert.Throws<InvalidArgumentException>(() => Arguments.InRange(justOver, DurationField.PublishTtl, "Ttl", "TTL")).Reason);
        Arguments.InRange(TimeSpan.FromDays(3650), DurationField.PublishTtl, "Ttl", "TTL");
        Assert.Equal(((ulong)long.MaxValue + 9999) / 10_000, Durations.ToMilliseconds(TimeSpan.MaxValue));
        await Task.CompletedTask;
    }

    [Fact(Timeout = 5000)]
    public async Task A_not_before_time_is_refused_past_3650_days_ahead_of_this_clock()
    {
        Arguments.NotBefore(DateTimeOffset.UtcNow.AddDays(3650).AddMinutes(-1), DurationField.PublishNotBefore, "NotBefore");
        Arguments.NotBefore(DateTimeOffset.UnixEpoch, DurationField.PublishNotBefore, "NotBefore");
        foreach (var time in new[] { DateTimeOffset.UtcNow.AddDays(3650).AddMinutes(10), DateTimeOffset.MaxValue, DateTimeOffset.UnixEpoch.AddTicks(-1) })
        {
            var error = Assert.Throws<InvalidArgumentException>(() => Arguments.NotBefore(time, DurationField.PublishNotBefore, "NotBefore"));
            Assert.Equal(("NotBefore", "out_of_range"), (error.Argument, error.Reason));
        }

        await Task.CompletedTask;
    }

    private static DurationField Field(JsonNode vector) =>
        Enum.GetValues<DurationField>().Single(f => f.WireName() == (string)vector["field"]!);

    private static IEnumerable<JsonNode> Cases(string section) => RepositoryFiles.WireVector("durations.json")[section]!.AsArray().Select(c => c!);

    private static JsonNode Case(string section, string id) => Cases(section).Single(c => (string)c["id"]! == id);
}
