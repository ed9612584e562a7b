// The set of deliveries a subscription has handed to the application, on its own: sealing, the list limit, clearing.
// The frames built from it are checked on the fake broker (Engine/HandedOutTests.cs).
using Sinew.Client.Connection;

namespace Sinew.Client.Tests.Unit;

public class HandedOutDeliveriesTests
{
    [Fact(Timeout = 5000)]
    public async Task Sealing_lists_what_is_held_and_refuses_to_hand_out_more()
    {
        var held = new HandedOutDeliveries();
        Assert.True(held.TryAdd(1));
        Assert.True(held.TryAdd(2));
        Assert.True(held.TryAdd(3));
        held.Remove(2);

        var listed = new List<ulong>();
        held.SealInto(listed, 100);

        Assert.Equal([1UL, 3UL], listed.Order());
        Assert.False(held.TryAdd(4));
        Assert.Equal(2, held.Count);
        await Task.CompletedTask;
    }

    [Fact(Timeout = 5000)]
    public async Task Sealing_several_sets_into_one_list_stops_at_the_limit()
    {
        var first = new HandedOutDeliveries();
        var second = new HandedOutDeliveries();
        foreach (var id in new ulong[] { 1, 2 })
        {
            first.TryAdd(id);
        }

        foreach (var id in new ulong[] { 3, 4, 5 })
        {
            second.TryAdd(id);
        }

        var listed = new List<ulong>();
        first.SealInto(listed, 3);
        second.SealInto(listed, 3);

        Assert.Equal(3, listed.Count);
        Assert.Equal([1UL, 2UL], listed.Take(2).Order());
        Assert.Contains(listed[2], new ulong[] { 3, 4, 5 });

        // Both are sealed, the second too although only part of it was listed.
        Assert.False(second.TryAdd(6));
        await Task.CompletedTask;
    }

    [Fact(Timeout = 5000)]
    public async Task Clearing_forgets_everything_and_seals()
    {
        var held = new HandedOutDeliveries();
        held.TryAdd(7);
        held.Clear();

        var listed = new List<ulong>();
        held.SealInto(listed, 100);
        Assert.Empty(listed);
        Assert.Equal(0, held.Count);
        Assert.False(held.TryAdd(8));
        await Task.CompletedTask;
    }
}
