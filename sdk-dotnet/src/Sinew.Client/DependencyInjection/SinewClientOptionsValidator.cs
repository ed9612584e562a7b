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
    public static IReadOnlyList<string> Check(SinewClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        if (options.Endpoints is null || options.Endpoints.Count == 0)
        {
            failures.Add($"SinewClientOptions.Endpoints is empty: list at least one broker address, such as \"{SinewClientOptions.DefaultEndpoint}\".");
        }
        else
        {
            for (var i = 0; i < options.Endpoints.Count; i++)
            {
                if (!BrokerEndpoint.TryParse(options.Endpoints[i], out _, out var error))
                {
                    failures.Add($"SinewClientOptions.Endpoints[{i}] \"{options.Endpoints[i]}\" is not a broker address: {error}. " +
                                 "Write host:port, for example \"broker.internal:7420\" or \"[::1]:7420\".");
                }
            }
        }

        if (string.IsNullOrWhiteSpace(options.ClientName))
        {
            failures.Add($"SinewClientOptions.ClientName is empty: name the application, for example \"billing-worker\" (default \"{SinewClientOptions.DefaultClientName}\").");
        }
        else if (Internal.Arguments.Utf8Length(options.ClientName) is < 0 or > 200)
        {
            failures.Add("SinewClientOptions.ClientName must be valid Unicode of at most 200 bytes of UTF-8.");
        }

        if (options.Heartbeat < TimeSpan.Zero)
        {
            failures.Add($"SinewClientOptions.Heartbeat is {options.Heartbeat}: use a positive interval such as 10 seconds, or TimeSpan.Zero to ask for no heartbeats.");
        }
        else if (options.Heartbeat > TimeSpan.Zero && options.Heartbeat < TimeSpan.FromMilliseconds(1))
        {
            failures.Add("SinewClientOptions.Heartbeat is shorter than a millisecond, the protocol's resolution: use at least 1 ms.");
        }

        Positive(failures, options.ConnectTimeout, "ConnectTimeout", "10 seconds");
        Positive(failures, options.RequestTimeout, "RequestTimeout", "30 seconds");
        Positive(failures, options.CloseTimeout, "CloseTimeout", "2 seconds");

        if (options.Reconnect is null)
        {
            failures.Add("SinewClientOptions.Reconnect is null: use ReconnectPolicy.Default, or ReconnectPolicy.Disabled to turn reconnection off.");
        }
        else
        {
            var policy = options.Reconnect;
            if (policy.MaxAttempts < 0)
            {
                failures.Add($"ReconnectPolicy.MaxAttempts is {policy.MaxAttempts}: use 0 to disable reconnection or a positive count such as 5.");
            }

            if (policy.InitialDelay < TimeSpan.Zero)
            {
                failures.Add($"ReconnectPolicy.InitialDelay is {policy.InitialDelay}: use a delay of zero or more, such as 100 milliseconds.");
            }

            if (policy.MaxDelay < policy.InitialDelay)
            {
                failures.Add($"ReconnectPolicy.MaxDelay ({policy.MaxDelay}) is shorter than InitialDelay ({policy.InitialDelay}): make it at least as long.");
            }

            // Written as a negated range check so that NaN is refused too.
            if (!(policy.Jitter is >= 0 and <= 1))
            {
                failures.Add($"ReconnectPolicy.Jitter is {policy.Jitter}: use a share from 0 (exact waits) to 1, such as 0.2.");
            }
        }

        return failures;
    }

    private static void Positive(List<string> failures, TimeSpan value, string name, string example)
    {
        if (value <= TimeSpan.Zero)
        {
            failures.Add($"SinewClientOptions.{name} is {value}: use a positive duration such as {example}.");
        }
        else if (value == Timeout.InfiniteTimeSpan || value.TotalMilliseconds > int.MaxValue)
        {
            failures.Add($"SinewClientOptions.{name} is too long: use at most {TimeSpan.FromMilliseconds(int.MaxValue)}.");
        }
    }
}
