// A control request the proxy cannot carry out as asked; answered with 400 and this message.
namespace Sinew.FaultProxy;

internal sealed class FaultRequestException(string message) : Exception(message);
