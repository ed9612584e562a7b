// Every broker error code becomes a BrokerException with the stable code, the broker's retryable flag and
// guidance; the client's own errors carry the codes the three clients share.
using Sinew.Client.Errors;
using Sinew.Protocol.Errors;
using Wire = Sinew.Protocol.Messages;

namespace Sinew.Client.Tests.Unit;

public class ErrorMappingTests
{
    public static TheoryData<ushort> AllBrokerCodes() => new(ErrorCodes.All.Select(c => (ushort)c.Code));

    [Theory(Timeout = 5000)]
    [MemberData(nameof(AllBrokerCodes))]
    public async Task Every_broker_code_maps_to_its_name_retry_flag_and_details(ushort code)
    {
        var info = ErrorCodes.Get((ErrorCode)code);
        var details = new Dictionary<string, string> { ["field"] = "topic", ["reason"] = "whitespace" };
        var error = BrokerErrors.FromError(new Wire.Error(code, info.Retryable, "something specific happened", details), "Publish to queue 'orders'");

        Assert.Equal(info.Name, error.Code);
        Assert.Equal(code, error.BrokerCode);
        Assert.Equal(info.Retryable, error.IsRetryable);
        Assert.Equal("something specific happened", error.BrokerMessage);
        Assert.Equal("whitespace", error.Details["reason"]);
        Assert.StartsWith("Publish to queue 'orders' failed: something specific happened", error.Message, StringComparison.Ordinal);
        Assert.Contains($"({info.Name})", error.Message, StringComparison.Ordinal);
        Assert.IsAssignableFrom<SinewException>(error);
        await Task.CompletedTask;
    }

    [Fact(Timeout = 5000)]
    public async Task The_retryable_flag_in_the_frame_is_authoritative()
    {
        var error = BrokerErrors.FromError(new Wire.Error((ushort)ErrorCode.Unavailable, false, "draining"), "Declare queue 'x'");
        Assert.Equal("unavailable", error.Code);
        Assert.False(error.IsRetryable);
        await Task.CompletedTask;
    }

    [Fact(Timeout = 5000)]
    public async Task An_unknown_code_is_reported_by_number()
    {
        var error = BrokerErrors.FromError(new Wire.Error(999, true, "from the future"), "Publish to queue 'orders'");
        Assert.Equal("unknown", error.Code);
        Assert.Equal(999, error.BrokerCode);
        Assert.Contains("(unknown code 999)", error.Message, StringComparison.Ordinal);
        Assert.True(error.IsRetryable);
        Assert.Contains("newer than this client", error.Message, StringComparison.Ordinal);
        await Task.CompletedTask;
    }

    [Fact(Timeout = 5000)]
    public async Task Not_found_tells_the_reader_to_declare_the_queue_first()
    {
        var error = BrokerErrors.FromError(new Wire.Error((ushort)ErrorCode.NotFound, false, "queue orders does not exist"), "Publish to queue 'orders'");
        Assert.Contains("DeclareQueueAsync", error.Message, StringComparison.Ordinal);
        await Task.CompletedTask;
    }

    [Fact(Timeout = 5000)]
    public async Task Conflict_names_the_differing_setting()
    {
        var details = new Dictionary<string, string> { ["field"] = "partitions", ["existing"] = "4", ["requested"] = "8" };
        var error = BrokerErrors.FromError(new Wire.Error((ushort)ErrorCode.Conflict, false, "exists", details), "Declare queue 'orders'");
        Assert.Contains("'partitions' (existing 4, requested 8)", error.Message, StringComparison.Ordinal);
        await Task.CompletedTask;
    }

    [Fact(Timeout = 5000)]
    public async Task Unauthorized_points_at_the_credentials_option()
    {
        var error = BrokerErrors.FromError(new Wire.Error((ushort)ErrorCode.Unauthorized, false, "bad password"), "The handshake with 127.0.0.1:7420");
        Assert.Contains("SinewClientOptions.Credentials", error.Message, StringComparison.Ordinal);
        await Task.CompletedTask;
    }

    [Fact(Timeout = 5000)]
    public async Task A_settlement_failure_takes_its_retry_flag_from_the_protocol_table()
    {
        var stale = BrokerErrors.FromSettleFailure((ushort)ErrorCode.StaleDelivery, "Ack of delivery 7");
        Assert.Equal("stale_delivery", stale.Code);
        Assert.False(stale.IsRetryable);
        Assert.Contains("idempotent", stale.Message, StringComparison.Ordinal);
        Assert.True(BrokerErrors.FromSettleFailure((ushort)ErrorCode.Unavailable, "Ack of delivery 7").IsRetryable);
        await Task.CompletedTask;
    }

    [Fact(Timeout = 5000)]
    public async Task Client_errors_carry_the_shared_codes_and_retry_flags()
    {
        Assert.Equal(("connection_failed", true), Describe(new ConnectionException("x")));
        Assert.Equal(("connection_lost", true), Describe(new ConnectionLostException("x")));
        Assert.Equal(("client_closed", false), Describe(new ClientClosedException("x")));
        Assert.Equal(("timeout", true), Describe(new OperationTimeoutException("x")));
        Assert.Equal(("invalid_argument", false), Describe(new InvalidArgumentException("x", "topic", "empty")));
        Assert.Equal(("protocol_error", false), Describe(new ProtocolException("x")));
        await Task.CompletedTask;
    }

    [Theory(Timeout = 5000)]
    [InlineData(SubscriptionEndReason.ServerShutdown, "server_shutdown", true)]
    [InlineData(SubscriptionEndReason.Deleted, "deleted", false)]
    [InlineData(SubscriptionEndReason.Quarantined, "quarantined", false)]
    [InlineData(SubscriptionEndReason.ReconcileClosed, "reconcile_closed", true)]
    [InlineData(SubscriptionEndReason.CursorTakenOver, "cursor_taken_over", false)]
    [InlineData(SubscriptionEndReason.Internal, "internal", false)]
    [InlineData(SubscriptionEndReason.ConnectionLost, "connection_lost", true)]
    [InlineData(SubscriptionEndReason.ClientClosed, "client_closed", false)]
    public async Task A_subscription_end_carries_its_reason_as_the_code(SubscriptionEndReason reason, string code, bool retryable)
    {
        var error = new SubscriptionEndedException(reason, "ended");
        Assert.Equal(reason, error.Reason);
        Assert.Equal((code, retryable), Describe(error));
        await Task.CompletedTask;
    }

    [Fact(Timeout = 5000)]
    public async Task Every_broker_close_reason_has_its_own_end_reason()
    {
        var mapped = Enum.GetValues<Wire.CloseReason>().Select(SubscriptionEndReasons.FromWire).ToList();
        Assert.Equal(mapped.Count, mapped.Distinct().Count());
        Assert.Equal(Enum.GetValues<Wire.CloseReason>().Select(r => r.ToString()), mapped.Select(r => r.ToString()));
        await Task.CompletedTask;
    }

    private static (string, bool) Describe(SinewException error) => (error.Code, error.IsRetryable);
}
