// A logger provider that keeps every entry, for tests that check what the client logs.
using Microsoft.Extensions.Logging;

namespace Sinew.Client.Tests;

/// <summary>Records every log entry of every logger it creates, at every level.</summary>
internal sealed class RecordingLoggerProvider : ILoggerProvider
{
    private readonly List<Entry> _entries = [];

    /// <summary>What was logged, in order.</summary>
    public IReadOnlyList<Entry> Entries
    {
        get
        {
            lock (_entries)
            {
                return [.. _entries];
            }
        }
    }

    /// <summary>A logger factory writing to this provider, for <see cref="SinewClientOptions.LoggerFactory"/>.</summary>
    public ILoggerFactory CreateFactory() => LoggerFactory.Create(logging => logging.AddProvider(this).SetMinimumLevel(LogLevel.Trace));

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    /// <summary>One log entry.</summary>
    public sealed record Entry(string Category, LogLevel Level, EventId Id, string Message, Exception? Exception);

    private sealed class Logger(RecordingLoggerProvider owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lock (owner._entries)
            {
                owner._entries.Add(new Entry(category, logLevel, eventId, formatter(state, exception), exception));
            }
        }
    }
}
