namespace Icd.Hub;

/// <summary>A download that cannot go on, with a message naming the repo, the file and what to do.</summary>
public sealed class HubException(string message, Exception? inner = null) : Exception(message, inner);
