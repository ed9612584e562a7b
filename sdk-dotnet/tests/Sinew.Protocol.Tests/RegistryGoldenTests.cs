// Pins this codec's constants and message shapes to wire-vectors/protocol.json: opcode numbers,
// every field's name, type and optionality in order, enum values, flags, error codes, decode kinds.
using System.Reflection;
using System.Text.Json.Nodes;
using Sinew.Protocol.Errors;
using Sinew.Protocol.Framing;
using Sinew.Protocol.Messages;

namespace Sinew.Protocol.Tests;

public class RegistryGoldenTests
{
    private static readonly JsonObject Registry = VectorFiles.Protocol;

    [Fact]
    public void Opcodes_match_the_registry_by_name_and_number()
    {
        var registry = Registry["ops"]!.AsArray().ToDictionary(o => (string)o!["name"]!, o => (int)o!["opcode"]!);
        var codec = Enum.GetValues<Opcode>().ToDictionary(o => o.ToString(), o => (int)o);
        Assert.Equal(registry.OrderBy(p => p.Key), codec.OrderBy(p => p.Key));
    }

    [Fact]
    public void Every_op_message_has_the_registry_fields_in_order()
    {
        foreach (var op in Registry["ops"]!.AsArray())
        {
            var name = (string)op!["name"]!;
            Assert.Equal(Describe(op["fields"]!.AsArray()), Describe(WireJson.MessageType(name)));
            var message = (IWireMessage)(WireJson.MessageType(name).GetField("Instance")?.GetValue(null)
                ?? System.Runtime.CompilerServices.RuntimeHelpers.GetUninitializedObject(WireJson.MessageType(name)));
            Assert.Equal(name, message.Opcode.ToString());
        }
    }

    [Fact]
    public void Every_record_has_the_registry_fields_in_order()
    {
        foreach (var (name, fields) in Registry["records"]!.AsObject())
        {
            Assert.Equal(Describe(fields!.AsArray()), Describe(WireJson.MessageType(name)));
        }
    }

    [Fact]
    public void Enums_match_the_registry_by_name_and_value()
    {
        var snake = System.Text.Json.JsonNamingPolicy.SnakeCaseLower;
        foreach (var (name, values) in Registry["enums"]!.AsObject())
        {
            var type = WireJson.MessageType(name);
            var codec = Enum.GetValues(type).Cast<Enum>().ToDictionary(v => snake.ConvertName(v.ToString()), v => Convert.ToInt32(v, System.Globalization.CultureInfo.InvariantCulture));
            var registry = values!.AsObject().ToDictionary(p => p.Key, p => (int)p.Value!);
            Assert.Equal(registry.OrderBy(p => p.Key), codec.OrderBy(p => p.Key));
        }
    }

    [Fact]
    public void Error_codes_match_the_registry()
    {
        var registry = Registry["errors"]!.AsArray()
            .Select(e => $"{(int)e!["code"]!} {(string)e["name"]!} retryable={(bool)e["retryable"]!} closes={(bool)e["closes_connection"]!}");
        var codec = ErrorCodes.All.Select(e => $"{(int)e.Code} {e.Name} retryable={e.Retryable} closes={e.ClosesConnection}");
        Assert.Equal(registry, codec);
        Assert.Equal(ErrorCodes.All.Count, Enum.GetValues<ErrorCode>().Length);
        Assert.Equal("unknown(999)", ErrorCodes.NameOf(999));
    }

    [Fact]
    public void Flags_match_the_registry()
    {
        var flag = Assert.Single(Registry["flags"]!.AsArray())!;
        Assert.Equal((int)FrameFlags.Confirm, (int)flag["value"]!);
        Assert.Equal(FrameFlags.Confirm, FrameFlagRules.Defined);
        var allowedOn = flag["ops"]!.AsArray().Select(o => Enum.Parse<Opcode>((string)o!)).ToHashSet();
        foreach (var opcode in Enum.GetValues<Opcode>())
        {
            Assert.Equal(allowedOn.Contains(opcode) ? FrameFlags.Confirm : FrameFlags.None, FrameFlagRules.AllowedOn(opcode));
        }
    }

    [Fact]
    public void Decode_error_kinds_match_the_registry_and_are_declared_in_precedence_order()
    {
        var registry = Registry["decode_errors"]!.AsArray().ToDictionary(k => (string)k!["kind"]!, k => (string)k!["code"]!);
        var codec = Enum.GetValues<DecodeErrorKind>().ToDictionary(k => k.WireName(), k => ErrorCodes.Get(k.ErrorCode()).Name);
        Assert.Equal(registry.OrderBy(p => p.Key), codec.OrderBy(p => p.Key));

        var precedence = Registry["decode_error_precedence"]!.AsArray().Select(p => (string)p!).ToList();
        var declared = Enum.GetValues<DecodeErrorKind>().Select(k => k.WireName()).ToList();
        Assert.Equal(precedence.TakeWhile(p => p != "fields"), declared.Take(precedence.Count - 1));
    }

    [Fact]
    public void Header_layout_and_limits_match_the_registry()
    {
        var header = Registry["header"]!;
        Assert.Equal(FrameHeader.Size, (int)header["size"]!);
        Assert.Equal("534e", (string)header["magic"]!);
        var limits = Registry["limits"]!;
        Assert.Equal(FrameLimits.HandshakeMaxFrameBytes, (int)limits["handshake_max_frame_bytes"]!);
        Assert.Equal(FrameLimits.DefaultMaxFrameBytes, (int)limits["default_max_frame_bytes"]!);
        Assert.Equal(FrameLimits.MaxNestingDepth, (int)limits["max_nesting_depth"]!);
        Assert.Equal(FrameLimits.DefaultMaxListItems, (int)limits["default_max_list_items"]!);
        Assert.Equal(Naming.NameRules.MaxNameBytes, (int)limits["max_name_bytes"]!);
        Assert.Equal(Naming.NameRules.MaxProducerIdBytes, (int)limits["max_producer_id_bytes"]!);
        Assert.Equal(Naming.HeaderRules.MaxKeyBytes, (int)limits["max_header_key_bytes"]!);
        Assert.Equal(Naming.HeaderRules.MaxValueBytes, (int)limits["max_header_value_bytes"]!);
        Assert.Equal(Timing.DurationLimits.MaxTtlMs, (ulong)limits["max_ttl_ms"]!);
        Assert.Equal(Timing.DurationLimits.MaxDelayMs, (ulong)limits["max_delay_ms"]!);
        Assert.Equal(Timing.DurationLimits.MinLeaseMs, (ulong)limits["min_lease_ms"]!);
        Assert.Equal(Timing.DurationLimits.MaxLeaseMs, (ulong)limits["max_lease_ms"]!);
        Assert.Equal(Timing.DurationLimits.MinHeartbeatMs, (ulong)limits["min_heartbeat_ms"]!);
        Assert.Equal(Timing.DurationLimits.MaxHeartbeatMs, (ulong)limits["max_heartbeat_ms"]!);
        Assert.Equal(Timing.DurationLimits.MaxRetentionAgeMs, (ulong)limits["max_retention_age_ms"]!);
    }

    private static List<string> Describe(JsonArray fields) =>
        fields.Select(f => $"{(string)f!["name"]!}:{(string)f["type"]!}{((bool?)f["optional"] == true ? "?" : "")}").ToList();

    private static List<string> Describe(Type type)
    {
        var constructor = type.GetConstructors()
            .Where(c => !c.GetParameters().Any(p => p.ParameterType == type))
            .MaxBy(c => c.GetParameters().Length)!;
        var nullability = new NullabilityInfoContext();
        return constructor.GetParameters().Select(p =>
        {
            var optional = Nullable.GetUnderlyingType(p.ParameterType) is not null
                           || (!p.ParameterType.IsValueType && nullability.Create(p).WriteState == NullabilityState.Nullable);
            var snake = System.Text.Json.JsonNamingPolicy.SnakeCaseLower.ConvertName(p.Name!);
            return $"{snake}:{WireType(Nullable.GetUnderlyingType(p.ParameterType) ?? p.ParameterType)}{(optional ? "?" : "")}";
        }).ToList();
    }

    private static string WireType(Type type)
    {
        if (type == typeof(byte)) return "u8";
        if (type == typeof(ushort)) return "u16";
        if (type == typeof(uint)) return "u32";
        if (type == typeof(ulong)) return "u64";
        if (type == typeof(bool)) return "bool";
        if (type == typeof(string)) return "str";
        if (type == typeof(ReadOnlyMemory<byte>)) return "bin";
        if (type == typeof(IReadOnlyDictionary<string, string>)) return "strmap";
        if (type.IsEnum) return $"enum:{type.Name}";
        if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(IReadOnlyList<>))
        {
            return $"list:{WireType(type.GetGenericArguments()[0])}";
        }

        return $"record:{type.Name}";
    }
}
