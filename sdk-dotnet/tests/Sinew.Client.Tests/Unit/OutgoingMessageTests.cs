// The payload helpers and the copy-with helpers of OutgoingMessage.
using System.Text;
using System.Text.Json;
using MessagePack;

namespace Sinew.Client.Tests.Unit;

public class OutgoingMessageTests
{
    [Fact(Timeout = 5000)]
    public async Task Text_is_utf8_with_a_text_content_type()
    {
        var message = OutgoingMessage.FromText("héllo ✓");
        Assert.Equal(Encoding.UTF8.GetBytes("héllo ✓"), message.Payload.ToArray());
        Assert.Equal("text/plain; charset=utf-8", message.ContentType);
        await Task.CompletedTask;
    }

    [Fact(Timeout = 5000)]
    public async Task Json_uses_camel_case_web_defaults_and_the_json_content_type()
    {
        var message = OutgoingMessage.FromJson(new Order("A-1", 3));
        Assert.Equal("application/json", message.ContentType);
        Assert.Equal("""{"orderId":"A-1","quantity":3}""", Encoding.UTF8.GetString(message.Payload.Span));
        await Task.CompletedTask;
    }

    [Fact(Timeout = 5000)]
    public async Task Json_honours_explicit_serializer_options()
    {
        var message = OutgoingMessage.FromJson(new Order("A-1", 3), new JsonSerializerOptions());
        Assert.Equal("""{"OrderId":"A-1","Quantity":3}""", Encoding.UTF8.GetString(message.Payload.Span));
        await Task.CompletedTask;
    }

    [Fact(Timeout = 5000)]
    public async Task MessagePack_round_trips_with_the_msgpack_content_type()
    {
        var message = OutgoingMessage.FromMessagePack(new[] { 1, 2, 3 });
        Assert.Equal("application/msgpack", message.ContentType);
        Assert.Equal([1, 2, 3], MessagePackSerializer.Deserialize<int[]>(message.Payload));
        await Task.CompletedTask;
    }

    [Fact(Timeout = 5000)]
    public async Task Bytes_carry_any_content_type_and_none_by_default()
    {
        Assert.Equal("image/png", OutgoingMessage.FromBytes(new byte[] { 1 }, "image/png").ContentType);
        Assert.Null(OutgoingMessage.FromBytes(new byte[] { 1 }).ContentType);
        await Task.CompletedTask;
    }

    [Fact(Timeout = 5000)]
    public async Task A_text_key_is_its_utf8_bytes()
    {
        var message = OutgoingMessage.FromText("x").WithKey("clé");
        Assert.Equal(Encoding.UTF8.GetBytes("clé"), message.Key!.Value.ToArray());
        await Task.CompletedTask;
    }

    [Fact(Timeout = 5000)]
    public async Task With_helpers_return_copies_and_leave_the_original_unchanged()
    {
        var original = OutgoingMessage.FromText("x").WithHeader("a", "1");
        var changed = original.WithHeader("b", "2").WithTtl(TimeSpan.FromMinutes(1));
        Assert.Equal(["a"], original.Headers!.Keys);
        Assert.Equal(["a", "b"], changed.Headers!.Keys.Order());
        Assert.Null(original.Ttl);
        Assert.Equal(TimeSpan.FromMinutes(1), changed.Ttl);
        await Task.CompletedTask;
    }

    [Fact(Timeout = 5000)]
    public async Task Delay_and_not_before_replace_each_other()
    {
        var at = DateTimeOffset.UtcNow.AddMinutes(5);
        var delayed = OutgoingMessage.FromText("x").WithNotBefore(at).WithDelay(TimeSpan.FromSeconds(3));
        Assert.Equal(TimeSpan.FromSeconds(3), delayed.Delay);
        Assert.Null(delayed.NotBefore);
        var scheduled = delayed.WithNotBefore(at);
        Assert.Equal(at, scheduled.NotBefore);
        Assert.Null(scheduled.Delay);
        await Task.CompletedTask;
    }

    private sealed record Order(string OrderId, int Quantity);
}
