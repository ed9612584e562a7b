// The error object of a failed step, as DRIVERS.md defines it for every client.
using System.Text.Json.Nodes;

namespace Sinew.Client.Conformance;

internal static class ErrorResults
{
    /// <summary>The error as the runner sees it. For Sinew errors: the language-neutral class name (the C#
    /// <c>…Exception</c> classes report <c>…Error</c>, as the TypeScript and Python clients name them), the stable
    /// code, the retryable flag and the message, plus what each kind carries: the broker's details and numeric code,
    /// the offending argument and rule, or the end reason. Anything else is a driver bug, type <c>Unexpected</c>.</summary>
    public static JsonObject From(Exception error)
    {
        if (error is not SinewException sinew)
        {
            var message = error is DriverException ? error.Message : $"{error.GetType().Name}: {error.Message}";
            return new JsonObject { ["type"] = "Unexpected", ["code"] = "unexpected", ["retryable"] = false, ["message"] = message };
        }

        var result = new JsonObject
        {
            ["type"] = TypeName(sinew),
            ["code"] = sinew.Code,
            ["retryable"] = sinew.IsRetryable,
            ["message"] = sinew.Message,
        };
        switch (sinew)
        {
            case BrokerException broker:
                var details = new JsonObject();
                foreach (var (key, value) in broker.Details.OrderBy(d => d.Key, StringComparer.Ordinal))
                {
                    details[key] = value;
                }

                result["details"] = details;
                result["broker_code"] = broker.BrokerCode;
                break;
            case InvalidArgumentException invalid:
                result["argument"] = invalid.Argument;
                result["reason"] = invalid.Reason;
                break;
            case SubscriptionEndedException ended:
                result["reason"] = ended.Code;
                break;
        }

        return result;
    }

    /// <summary><c>BrokerException</c> → <c>BrokerError</c>.</summary>
    public static string TypeName(SinewException error)
    {
        const string suffix = "Exception";
        var name = error.GetType().Name;
        return (name.EndsWith(suffix, StringComparison.Ordinal) ? name[..^suffix.Length] : name) + "Error";
    }
}
