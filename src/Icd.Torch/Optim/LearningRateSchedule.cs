namespace Icd.Torch.Optim;

/// <summary>The learning rate for a step (0-based). Pure functions: resuming at step k gives the
/// same rate as an uninterrupted run.</summary>
public delegate double LearningRateSchedule(long step);

public static class LearningRateSchedules
{
    /// <summary>diffusers' "constant" (the iCD scripts' choice).</summary>
    public static LearningRateSchedule Constant(double lr) => _ => lr;

    /// <summary>Linear warm-up from 0 over <paramref name="warmupSteps"/>, then constant.</summary>
    public static LearningRateSchedule ConstantWithWarmup(double lr, long warmupSteps) =>
        step => warmupSteps > 0 && step < warmupSteps ? lr * (step + 1) / warmupSteps : lr;

    /// <summary>Warm-up–stable–decay: <see cref="ConstantWithWarmup"/>, then a linear decay over the last
    /// <paramref name="decaySteps"/> steps that would reach 0 at <paramref name="totalSteps"/>. Until the
    /// decay starts it is the constant schedule, so a constant run's checkpoint is a valid start of it:
    /// a phase can be cooled down later without being repeated.</summary>
    public static LearningRateSchedule WarmupStableDecay(double lr, long warmupSteps, long totalSteps, long decaySteps)
    {
        var constant = ConstantWithWarmup(lr, warmupSteps);
        long decayStart = totalSteps - decaySteps;
        return step => decaySteps > 0 && step >= decayStart ? constant(step) * Math.Max(0, totalSteps - step) / decaySteps : constant(step);
    }

    /// <summary>Warm-up then cosine decay to 0 at <paramref name="totalSteps"/>.</summary>
    public static LearningRateSchedule Cosine(double lr, long warmupSteps, long totalSteps) => step =>
    {
        if (warmupSteps > 0 && step < warmupSteps) return lr * (step + 1) / warmupSteps;
        double progress = Math.Clamp((double)(step - warmupSteps) / Math.Max(1, totalSteps - warmupSteps), 0, 1);
        return lr * 0.5 * (1 + Math.Cos(Math.PI * progress));
    };
}
