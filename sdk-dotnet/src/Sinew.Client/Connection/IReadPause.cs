// What a subscription asks of the connection that carries it when its consumer falls behind.
namespace Sinew.Client.Connection;

/// <summary>Stopping and restarting the reading of a connection's socket on behalf of holders: reading stops while
/// any holder asks for it. Implemented by <see cref="SinewConnection"/>.</summary>
internal interface IReadPause
{
    /// <summary>Asks for reading to stop until <paramref name="holder"/> withdraws the request.</summary>
    void PauseReading(object holder);

    /// <summary>Withdraws <paramref name="holder"/>'s request; does nothing if it made none.</summary>
    void ResumeReading(object holder);
}
