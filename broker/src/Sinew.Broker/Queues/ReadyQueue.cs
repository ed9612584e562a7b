// The deliverable messages of a partition, in offset order.
namespace Sinew.Broker.Queues;

/// <summary>Deliverable messages, lowest offset first. Fresh messages arrive in offset order and sit in a
/// FIFO; messages coming back (retries, expired leases, departed consumers) go into a heap so they are
/// delivered ahead of newer ones, in their original order. Entries are removed lazily: a copy whose
/// ticket no longer matches its entry is skipped.</summary>
internal sealed class ReadyQueue
{
    private readonly Queue<(MessageEntry Entry, int Ticket)> _fresh = new();
    private readonly PriorityQueue<(MessageEntry Entry, int Ticket), long> _returned = new();

    public int Count { get; private set; }

    /// <summary>How many of <see cref="Count"/> are fresh: never delivered since they were indexed. They fill the
    /// partition's index window.</summary>
    public int FreshCount { get; private set; }

    public void AddFresh(MessageEntry entry)
    {
        entry.State = MessageState.Ready;
        entry.Ticket++;
        entry.InFresh = true;
        _fresh.Enqueue((entry, entry.Ticket));
        Count++;
        FreshCount++;
    }

    public void AddReturned(MessageEntry entry)
    {
        entry.State = MessageState.Ready;
        entry.Ticket++;
        LeaveFresh(entry);
        _returned.Enqueue((entry, entry.Ticket), entry.Offset);
        Count++;
    }

    /// <summary>Called when a ready entry leaves by another way (expiry), so the count stays right.</summary>
    public void Forget(MessageEntry entry)
    {
        entry.Ticket++;
        LeaveFresh(entry);
        Count--;
    }

    public bool TryTake(out MessageEntry entry)
    {
        while (true)
        {
            var hasFresh = TryPeekValid(_fresh, out var fresh);
            var hasReturned = TryPeekValid(_returned, out var returned);
            if (!hasFresh && !hasReturned)
            {
                entry = null!;
                return false;
            }

            if (hasReturned && (!hasFresh || returned.Offset < fresh.Offset))
            {
                _returned.Dequeue();
                entry = returned;
            }
            else
            {
                _fresh.Dequeue();
                entry = fresh;
            }

            entry.Ticket++;
            LeaveFresh(entry);
            Count--;
            return true;
        }
    }

    public void Clear()
    {
        _fresh.Clear();
        _returned.Clear();
        Count = 0;
        FreshCount = 0;
    }

    /// <summary>Gives back the queues' arrays once a backlog has drained, so an idle partition holds little; small
    /// ones are kept, so a partition that keeps emptying does not reallocate each time.</summary>
    public void TrimIfEmpty(int keep)
    {
        if (Count == 0 && (_fresh.EnsureCapacity(0) > keep || _returned.EnsureCapacity(0) > keep))
        {
            _fresh.Clear();
            _fresh.TrimExcess();
            _returned.Clear();
            _returned.TrimExcess();
        }
    }

    private void LeaveFresh(MessageEntry entry)
    {
        if (entry.InFresh)
        {
            entry.InFresh = false;
            FreshCount--;
        }
    }

    private static bool TryPeekValid(Queue<(MessageEntry Entry, int Ticket)> queue, out MessageEntry entry)
    {
        while (queue.TryPeek(out var head))
        {
            if (head.Entry.State == MessageState.Ready && head.Entry.Ticket == head.Ticket)
            {
                entry = head.Entry;
                return true;
            }

            queue.Dequeue();
        }

        entry = null!;
        return false;
    }

    private static bool TryPeekValid(PriorityQueue<(MessageEntry Entry, int Ticket), long> heap, out MessageEntry entry)
    {
        while (heap.TryPeek(out var head, out _))
        {
            if (head.Entry.State == MessageState.Ready && head.Entry.Ticket == head.Ticket)
            {
                entry = head.Entry;
                return true;
            }

            heap.Dequeue();
        }

        entry = null!;
        return false;
    }
}
