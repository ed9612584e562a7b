// The faults that wait for connections not yet accepted: each new connection gets them as it is accepted,
// until a reset clears them.
namespace Sinew.FaultProxy;

internal sealed class NewConnectionFaults
{
    private readonly object _gate = new();
    private CloseMode? _cut;
    private bool _blackhole;
    private Directions _stalled;
    private Directions _halfClosed;
    private readonly Dictionary<Directions, int> _delayMs = [];
    private readonly Dictionary<Directions, (long Bytes, CloseMode Then)> _closeAfter = [];

    /// <summary>Whether new connections are accepted without a broker side.</summary>
    public bool Blackhole
    {
        get
        {
            lock (_gate)
            {
                return _blackhole;
            }
        }
    }

    /// <summary>Whether new connections are cut as they come (they then get no broker side either).</summary>
    public bool CutsOnAccept
    {
        get
        {
            lock (_gate)
            {
                return _cut is not null;
            }
        }
    }

    public void Cut(CloseMode mode) => Set(() => _cut = mode);

    public void SetBlackhole() => Set(() => _blackhole = true);

    public void Stall(Directions directions) => Set(() => _stalled |= directions);

    public void Resume(Directions directions) => Set(() => _stalled &= ~directions);

    public void HalfClose(Directions directions) => Set(() => _halfClosed |= directions);

    public void Delay(Directions directions, int milliseconds) => Set(() =>
    {
        foreach (var direction in Each(directions))
        {
            _delayMs[direction] = milliseconds;
        }
    });

    public void CloseAfter(Directions directions, long bytes, CloseMode then) => Set(() =>
    {
        foreach (var direction in Each(directions))
        {
            _closeAfter[direction] = (bytes, then);
        }
    });

    public void Clear() => Set(() =>
    {
        _cut = null;
        _blackhole = false;
        _stalled = Directions.None;
        _halfClosed = Directions.None;
        _delayMs.Clear();
        _closeAfter.Clear();
    });

    /// <summary>Gives a just-accepted connection the waiting faults, before any byte is forwarded.</summary>
    public void ApplyTo(ProxiedConnection connection)
    {
        lock (_gate)
        {
            foreach (var pump in connection.Pumps(_stalled))
            {
                pump.Stall();
            }

            foreach (var (direction, milliseconds) in _delayMs)
            {
                foreach (var pump in connection.Pumps(direction))
                {
                    pump.Delay(milliseconds);
                }
            }

            foreach (var (direction, (bytes, then)) in _closeAfter)
            {
                foreach (var pump in connection.Pumps(direction))
                {
                    pump.CloseAfter(bytes, then);
                }
            }

            foreach (var pump in connection.Pumps(_halfClosed))
            {
                pump.HalfClose();
            }

            if (_cut is { } mode)
            {
                connection.Close(mode);
            }
        }
    }

    /// <summary>The waiting faults, for the connection list.</summary>
    public IReadOnlyList<string> Describe()
    {
        lock (_gate)
        {
            var faults = new List<string>();
            if (_blackhole)
            {
                faults.Add("blackhole");
            }

            if (_cut is { } mode)
            {
                faults.Add(mode == CloseMode.Fin ? "cut fin" : "cut rst");
            }

            faults.AddRange(Each(_stalled).Select(d => $"stall {Name(d)}"));
            faults.AddRange(Each(_halfClosed).Select(d => $"half-close {Name(d)}"));
            faults.AddRange(_delayMs.Select(e => $"delay {Name(e.Key)} {e.Value} ms"));
            faults.AddRange(_closeAfter.Select(e => $"close-after {Name(e.Key)} {e.Value.Bytes} bytes {e.Value.Then.ToString().ToLowerInvariant()}"));
            return faults;
        }
    }

    private void Set(Action change)
    {
        lock (_gate)
        {
            change();
        }
    }

    private static IEnumerable<Directions> Each(Directions directions) =>
        new[] { Directions.Up, Directions.Down }.Where(d => directions.HasFlag(d));

    private static string Name(Directions direction) => direction == Directions.Up ? "up" : "down";
}
