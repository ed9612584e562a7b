// The HTTP queue operations as the tests call them: the status and the JSON body of each answer.
using System.Net;
using System.Text.Json;

namespace Sinew.Broker.Tests.Support;

internal sealed record ApiAnswer(HttpStatusCode Status, JsonElement Body)
{
    /// <summary>The protocol error code name of an error answer.</summary>
    public string? Code => Body.TryGetProperty("code", out var code) ? code.GetString() : null;

    public string? Detail(string name) =>
        Body.TryGetProperty("details", out var details) && details.TryGetProperty(name, out var value) ? value.GetString() : null;
}

internal static class QueueApi
{
    /// <summary>DELETE /api/v1/queues/{topic}; <paramref name="topic"/> is sent percent-encoded, the query as given.</summary>
    public static Task<ApiAnswer> DeleteQueueAsync(this HttpClient http, string topic, string query = "") =>
        SendAsync(http, HttpMethod.Delete, $"/api/v1/queues/{Uri.EscapeDataString(topic)}{query}");

    /// <summary>POST /api/v1/queues/{topic}/purge.</summary>
    public static Task<ApiAnswer> PurgeQueueAsync(this HttpClient http, string topic, string query = "") =>
        SendAsync(http, HttpMethod.Post, $"/api/v1/queues/{Uri.EscapeDataString(topic)}/purge{query}");

    /// <summary>The partition stats of <paramref name="topic"/> in GET /admin/queues, or null when it is not listed.</summary>
    public static async Task<JsonElement?> AdminQueueAsync(this HttpClient http, string topic)
    {
        using var queues = JsonDocument.Parse(await http.GetStringAsync("/admin/queues"));
        foreach (var queue in queues.RootElement.EnumerateArray())
        {
            if (queue.GetProperty("topic").GetString() == topic)
            {
                return queue.Clone();
            }
        }

        return null;
    }

    private static async Task<ApiAnswer> SendAsync(HttpClient http, HttpMethod method, string path)
    {
        using var request = new HttpRequestMessage(method, path);
        using var response = await http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        using var body = JsonDocument.Parse(text.Length == 0 ? "{}" : text);
        return new ApiAnswer(response.StatusCode, body.RootElement.Clone());
    }
}
