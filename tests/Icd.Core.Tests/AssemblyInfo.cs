// Live-handle and RSS assertions count process-wide native state, so tests run one at a time
// (the whole suite takes seconds; two cores gain little from parallel test classes anyway).
[assembly: CollectionBehavior(DisableTestParallelization = true)]
