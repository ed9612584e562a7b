// Failures the application never looked at: a settlement or publish whose task it dropped without awaiting.
// Each is logged once, at Warning, through the logger of the client it belongs to.
using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;
using Sinew.Client.Diagnostics;

namespace Sinew.Client.Core;

/// <summary>Reports the failures of operations whose task nobody observed. .NET itself knows whether a faulted task's
/// exception was observed (awaited, waited on, or read) and raises <see cref="TaskScheduler.UnobservedTaskException"/>
/// when such a task is collected; a watched exception found there is logged for its client, once for each task that
/// carried it unobserved. Watching costs nothing until an operation fails.</summary>
internal static class UnobservedFailures
{
    private static readonly ConditionalWeakTable<Exception, ILogger> Watched = new();
    private static int _listening;

    /// <summary>Watches the exception a failed operation hands to the application.</summary>
    /// <param name="error">The exception; a cancellation is never reported, since it only follows the caller's own
    /// request.</param>
    /// <param name="logger">The logger of the client the operation belongs to.</param>
    public static void Watch(Exception error, ILogger logger)
    {
        if (error is OperationCanceledException)
        {
            return;
        }

        if (Interlocked.Exchange(ref _listening, 1) == 0)
        {
            TaskScheduler.UnobservedTaskException += OnUnobserved;
        }

        Watched.AddOrUpdate(error, logger);
    }

    // Runs on the finalizer thread. The exception is left unobserved for any other handler the application has.
    private static void OnUnobserved(object? sender, UnobservedTaskExceptionEventArgs e)
    {
        foreach (var error in e.Exception.InnerExceptions)
        {
            if (!Watched.TryGetValue(error, out var logger))
            {
                continue;
            }

            try
            {
                Log.UnobservedFailure(logger, error.Message, error);
            }
            catch (Exception)
            {
                // An exception escaping the finalizer thread would end the process; a logger that throws loses this
                // one report instead.
            }
        }
    }
}
