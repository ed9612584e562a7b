// The tests share one browser and one broker, and the machine has two cores: they run one at a time.
// (Running sequentially is also what lets xunit enforce each test's Timeout.)
[assembly: CollectionBehavior(DisableTestParallelization = true)]
