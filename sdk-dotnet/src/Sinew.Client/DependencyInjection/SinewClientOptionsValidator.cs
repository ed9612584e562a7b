// Checks SinewClientOptions with messages that say how to fix each problem.
using Microsoft.Extensions.Options;
using Sinew.Client.Connection;

namespace Sinew.Client;

/// <summary>Validates <see cref="SinewClientOptions"/>. Registered by
/// <c>AddSinewClient</c> for the options pattern, and applied by every <see cref="SinewClient"/> constructor, which
/// throws <see cref="InvalidArgumentException"/> listing every problem.</summary>
public sealed class SinewClientOptionsValidator : IValidateOptions<SinewClientOptions>
{
    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, SinewClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = Check(options);
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    /// <summary>Every problem with <paramref name="options"/>, each a sentence saying how to fix it; empty when valid.</summary>
    public static IReadOnlyList<string> Check(SinewClientOptions options) => [.. Problems(options).Select(p => p.Message)];

    /// <summary>Every problem with <paramref name="options"/>, with the option at fault (as written in C#, nested ones
    /// as <c>Reconnect.MaxDelay</c>) and the rule it breaks, in the vocabulary every Sinew client shares.</summary>
    internal static IReadOnlyList<OptionProblem> Problems(SinewClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<OptionProblem>();
        const string endpoints = nameof(SinewClientOptions.Endpoints);
        if (options.Endpoints is null || options.Endpoints.Count == 0)
        {
            failures.Add(new(endpoints, "empty",
                $"SinewClientOptions.Endpoints is empty: list at least one broker address, such as \"{SinewClientOptions.DefaultEndpoint}\"."));
        }
        else
        {
            for (var i = 0; i < options.Endpoints.Count; i++)
            {
                if (!BrokerEndpoint.TryParse(options.Endpoints[i], out _, out var error))
                {
                    failures.Add(new(endpoints, "invalid_endpoint",
                        $"SinewClientOptions.Endpoints[{i}] \"{options.Endpoints[i]}\" is not a broker address: {error}. " +
                        "Write host:port, for example \"broker.internal:7420\" or \"[::1]:7420\"."));
                }
            }
        }

        const string clientName = nameof(SinewClientOptions.ClientName);
        if (options.ClientName is null)
        {
            failures.Add(new(clientName, "wrong_type",
                $"SinewClientOptions.ClientName is null: name the application, for example \"billing-worker\" (default \"{SinewClientOptions.DefaultClientName}\")."));
        }
        else if (string.IsNullOrWhiteSpace(options.ClientName))
        {
            failures.Add(new(clientName, "empty",
                $"SinewClientOptions.ClientName is empty: name the application, for example \"billing-worker\" (default \"{SinewClientOptions.DefaultClientName}\")."));
        }
        else if (Internal.Arguments.Utf8Length(options.ClientName) is < 0)
        {
            failures.Add(new(clientName, "invalid_unicode", "SinewClientOptions.ClientName contains an unpaired surrogate, which has no UTF-8 form."));
        }
        else if (Internal.Arguments.Utf8Length(options.ClientName) > MaxClientNameBytes)
        {
            failures.Add(new(clientName, "too_long", $"SinewClientOptions.ClientName must be at most {MaxClientNameBytes} bytes of UTF-8."));
        }

        const string heartbeat = nameof(SinewClientOptions.Heartbeat);
        if (options.Heartbeat < TimeSpan.Zero)
        {
            failures.Add(new(heartbeat, "out_of_range",
                $"SinewClientOptions.Heartbeat is {options.Heartbeat}: use a positive interval such as 10 seconds, or TimeSpan.Zero to leave the interval to the broker."));
        }
        else if (Internal.Durations.ToMilliseconds(options.Heartbeat) > Protocol.Timing.DurationLimits.MaxHeartbeatMs)
        {
            failures.Add(new(heartbeat, "out_of_range",
                $"SinewClientOptions.Heartbeat is {Internal.Durations.Describe(options.Heartbeat)}: the protocol allows at most 5 minutes, " +
                "so that a dead connection is noticed within 15; use a shorter interval."));
        }
        else if (options.Heartbeat > TimeSpan.Zero && options.Heartbeat < TimeSpan.FromMilliseconds(1))
        {
            failures.Add(new(heartbeat, "out_of_range", "SinewClientOptions.Heartbeat is shorter than a millisecond, the protocol's resolution: use at least 1 ms."));
        }

        Positive(failures, options.ConnectTimeout, nameof(SinewClientOptions.ConnectTimeout), "10 seconds");
        Positive(failures, options.RequestTimeout, nameof(SinewClientOptions.RequestTimeout), "30 seconds");
        Positive(failures, options.CloseTimeout, nameof(SinewClientOptions.CloseTimeout), "2 seconds");

        const string reconnect = nameof(SinewClientOptions.Reconnect);
        if (options.Reconnect is null)
        {
            failures.Add(new(reconnect, "wrong_type",
                "SinewClientOptions.Reconnect is null: use ReconnectPolicy.Default, or ReconnectPolicy.Disabled to turn reconnection off."));
        }
        else
        {
            var policy = options.Reconnect;
            if (policy.MaxAttempts < 0)
            {
                failures.Add(new($"{reconnect}.{nameof(ReconnectPolicy.MaxAttempts)}", "out_of_range",
                    $"ReconnectPolicy.MaxAttempts is {policy.MaxAttempts}: use 0 to disable reconnection or a positive count such as 5."));
            }

            if (policy.InitialDelay < TimeSpan.Zero)
            {
                failures.Add(new($"{reconnect}.{nameof(ReconnectPolicy.InitialDelay)}", "out_of_range",
                    $"ReconnectPolicy.InitialDelay is {policy.InitialDelay}: use a delay of zero or more, such as 100 milliseconds."));
            }

            if (policy.MaxDelay < policy.InitialDelay)
            {
                failures.Add(new($"{reconnect}.{nameof(ReconnectPolicy.MaxDelay)}", "out_of_range",
                    $"ReconnectPolicy.MaxDelay ({policy.MaxDelay}) is shorter than InitialDelay ({policy.InitialDelay}): make it at least as long."));
            }

            // Written as a negated range check so that NaN is refused too; NaN is no number at all, hence wrong_type.
            if (!(policy.Jitter is >= 0 and <= 1))
            {
                failures.Add(new($"{reconnect}.{nameof(ReconnectPolicy.Jitter)}", double.IsNaN(policy.Jitter) ? "wrong_type" : "out_of_range",
                    $"ReconnectPolicy.Jitter is {policy.Jitter}: use a share from 0 (exact waits) to 1, such as 0.2."));
            }
        }

        return failures;
    }

    private const int MaxClientNameBytes = 200;

    private static void Positive(List<OptionProblem> failures, TimeSpan value, string name, string example)
    {
        if (value <= TimeSpan.Zero)
        {
            failures.Add(new(name, "out_of_range", $"SinewClientOptions.{name} is {value}: use a positive duration such as {example}."));
        }
        else if (value == Timeout.InfiniteTimeSpan || value.TotalMilliseconds > int.MaxValue)
        {
            failures.Add(new(name, "out_of_range", $"SinewClientOptions.{name} is too long: use at most {TimeSpan.FromMilliseconds(int.MaxValue)}."));
        }
    }
}

/// <summary>One problem with the client options: the option, the rule it breaks and how to fix it.</summary>
internal sealed record OptionProblem(string Argument, string Reason, string Message);
