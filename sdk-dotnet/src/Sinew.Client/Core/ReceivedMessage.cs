// A message pushed by the broker, waiting in a subscription's buffer to be handed out.
using Sinew.Protocol.Messages;

namespace Sinew.Client.Core;

/// <summary>A delivered message and the broker subscription it came through, which is where it settles.</summary>
internal readonly record struct ReceivedMessage(PartitionSubscription Source, DeliveredMessage Message);
