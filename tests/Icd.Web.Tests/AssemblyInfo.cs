// One model and one server at a time: the tests share two cores and libtorch's process-wide state.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
