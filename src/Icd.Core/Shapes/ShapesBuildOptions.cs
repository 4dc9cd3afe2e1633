using Icd.Training;

namespace Icd.Shapes;

/// <summary>Steps, batch sizes and learning rates of each build stage; <see cref="Quick"/> runs
/// every stage for a few steps (CI and smoke tests).</summary>
public sealed record ShapesBuildOptions
{
    public ulong DataSeed { get; init; } = 20240627;
    public long PoolSize { get; init; } = 20000;
    // Sized for under three hours on 2 CPU cores (see the model card for what was run).
    public RunOptions Vae { get; init; } = new() { Steps = 6000, BatchSize = 8, LearningRate = 1e-3, CosineDecay = true, CheckpointEvery = 100, LogEvery = 20, ValidateEvery = 250 };
    /// <summary>The VAE's squared error is weighted 1 + k·(object coverage) per pixel (0: plain). Objects
    /// are a small share of the pixels. With the same seeds and schedule, k = 5 (eighth build) against the
    /// plain error (fourth to sixth builds): held-back PSNR 34.5 against 31.2 dB; on held-out scenes object
    /// colours kept 130 against 115 of 130, colour-edit targets through the round trip 32 against 26 of 32.
    /// The seventeenth build's base (with <see cref="TeacherCounterfactualPhase"/>): its 50-step teacher
    /// passes 62 % of the held-out colour edits, the sixth base's 19 % (model card).</summary>
    public double VaeObjectWeight { get; init; } = 5;
    public RunOptions Clip { get; init; } = new() { Steps = 400, BatchSize = 32, LearningRate = 1e-3, CheckpointEvery = 100, LogEvery = 20 };
    public RunOptions Teacher { get; init; } = new() { Steps = 6000, BatchSize = 16, LearningRate = 5e-4, WarmupSteps = 100, CosineDecay = true, CheckpointEvery = 100, LogEvery = 20, ValidateEvery = 250 };
    /// <summary>The teacher's second phase, on <see cref="TeacherNoise"/> (null: none).</summary>
    public RunOptions? TeacherPyramid { get; init; } = new() { Steps = 6000, BatchSize = 16, LearningRate = 3e-4, WarmupSteps = 100, CosineDecay = true, CheckpointEvery = 100, LogEvery = 20, ValidateEvery = 250 };
    public RunOptions Guidance { get; init; } = new() { Steps = 400, BatchSize = 16, LearningRate = 2e-4, CheckpointEvery = 100, LogEvery = 20, ValidateEvery = 100 };
    // Cosine decay: at a constant rate the students' held-out latent error bottomed out at step 250 and rose.
    // 3,000 steps rather than 1,200: +0.36 dB round trip on the ninth build's base, and with the clean L_r end
    // the gap to DDIM50 went from 1.67 to 1.17 dB on the shipped base (model card). 6,000 rather than 3,000
    // (eighteenth build): +0.10 dB unguided, +0.7–0.9 dB guided, more of every edit kind but size, and the
    // 4-step generations follow captions better; Table 2's rows come out in the paper's order.
    // The last step, not the best validated one: keeping the step with the best val_psnr on the 8 held-back
    // scenes (step 850) scored 0.17 dB below the last on held-out scenes (model card, "After the fourteenth build").
    public RunOptions Icd { get; init; } = new() { Steps = 6000, BatchSize = 8, LearningRate = 5e-4, CosineDecay = true, CheckpointEvery = 50, LogEvery = 10, ValidateEvery = 50 };
    // The held-back round trip picks the step: a fixed stopping point (300 steps, fourth build) ended
    // below the iCD student on held-out scenes. In pixels (val_psnr), since the cycle's LPIPS trains
    // through the VAE decoder and the latent error stopped tracking what the evaluation scores.
    public RunOptions Cycle { get; init; } = new() { Steps = 600, BatchSize = 4, LearningRate = 5e-5, CheckpointEvery = 25, LogEvery = 5, ValidateEvery = 25, SelectBy = "max:val_psnr" };
    /// <summary>Also train Table 2's ablation students (no preservation losses; L_f only) after the model.</summary>
    public bool Ablations { get; init; } = true;
    public double CaptionDropout { get; init; } = 0.1;
    /// <summary>The noise of the teacher's second phase. Pyramid noise hides the low-frequency leak of
    /// SD's schedule; a teacher trained on white noise alone took colours from the noise, not the
    /// caption (see <see cref="TrainingNoise"/> and the model card).</summary>
    public TrainingNoise TeacherNoise { get; init; } = new(PyramidDiscount: 0.8);
    /// <summary>The noise of the distillation stages (guidance, iCD, cycle), and so of inversion's start
    /// noise (manifest <c>pyramid_noise</c>; generation starts from <see cref="TeacherNoise"/>). White: distilling on the teacher's pyramid noise gave
    /// students 4 dB worse at reconstruction (22.3 against 26.2 dB, fifth build's trial).</summary>
    public TrainingNoise DistillationNoise { get; init; } = TrainingNoise.White;
    /// <summary>The teacher's third phase: the second phase's noise and weighting, with counterfactual
    /// noising (<see cref="TeacherCounterfactual"/>), at lr 2e-4, constant, then cooled down; null: none (the sixteenth
    /// build and earlier). It makes the teacher read colour words: in the colour-binding check the seed
    /// decides an object's colour 18 % of the time, against 73 % without it (seventeenth build's base, on
    /// the object-weighted VAE; model card). On the plain VAE (seventh build) its students kept less outside
    /// the edit mask; on the object-weighted one their colour edits keep 25.2–27.3 dB outside it.
    /// 9,000 steps, not 3,000 (twentieth build): the 50-step teacher's colour edits on 64 training-stream
    /// edits 78 % against 53 %, its generations from held-out captions whole-caption right 72 % against
    /// 31 %, and the seed's share in the binding check 9 % (one colour word in 11) against 18 %, while its
    /// validation loss hardly moved (model card). Then 3,000 more with the lr falling linearly to 0
    /// (twenty-first build): the 50-step teacher's colour edits on 64 held-out edits 86 % against 66 %,
    /// on 64 training-stream edits 88 % against 78 % (model card).</summary>
    public RunOptions? TeacherCounterfactualPhase { get; init; } = new() { Steps = 12000, DecaySteps = 3000, BatchSize = 16, LearningRate = 2e-4, CheckpointEvery = 100, LogEvery = 20, ValidateEvery = 250 };
    /// <summary>Counterfactual noising of the third phase: half the captioned samples at t ≥ 500 are
    /// noised from a recoloured scene (see <see cref="CounterfactualNoising"/>).</summary>
    public CounterfactualNoising TeacherCounterfactual { get; init; } = new(Probability: 0.5, MinTimestep: 500);
    /// <summary>Weight of the grounding loss in the teacher's third phase (<see cref="AttentionGrounding"/>:
    /// each object's size, colour and shape words, and the background's colour word, attend to their
    /// pixels); null (the default): none. A trial (model card).</summary>
    public double? TeacherGrounding { get; init; }
    /// <summary>Min-SNR-γ weighting of the teacher's second and third phases (null: plain MSE).</summary>
    public double? TeacherSnrGamma { get; init; } = 5;
    /// <summary>Embedded guidance values for distillation (classical scale − 1).</summary>
    public double[] GuidanceSet { get; init; } = [0, 1, 2, 3, 4, 5];
    /// <summary>The coefficient of both preservation losses, L_f and L_r. METHOD D1 uses 1.5; at this
    /// scale 3 gave students whose held-out round trip is 22 % closer in latent MSE (0.0252 against
    /// 0.0325) and a cycle fine-tuning that beats them on every metric (sixth build; model card).</summary>
    public double Preservation { get; init; } = 3;
    /// <summary>The coefficient of L_f in the cycle fine-tuning (METHOD D2: 1.5), which keeps the
    /// fine-tuned forward model close to the iCD student's latents. 3, as the students' own: on the
    /// nineteenth build's students the cycle model round-trips held-out scenes at 30.72 dB with 3,
    /// 30.58 with 1.5 (model card).</summary>
    public double CyclePreservation { get; init; } = 3;
    /// <summary>Where L_f's pairs start in the cycle fine-tuning: iCD's 19, as METHOD D2 keeps it (the
    /// builds up to the thirteenth used 0, the cycle loss's start).</summary>
    public long CycleForwardStart { get; init; } = 19;
    /// <summary>Where the cycle loss's round trip starts, and so Inverse-and-Edit's inversion
    /// (<c>inverse-and-edit.json</c>'s <c>forward_timesteps</c>). METHOD D2 starts at 0, the clean latent,
    /// but the students trained with the clean L_r end round-trip from 0 at 0.06 latent MSE against 0.022
    /// from 19, and 600 cycle steps from 0 ended 0.07–0.21 dB below iCD; from 19 the cycle stage gains
    /// 0.35 dB over iCD (fourteenth build, model card).</summary>
    public long CycleStart { get; init; } = 19;
    /// <summary>L_r's first segment decodes to the clean latent, as inference does
    /// (<see cref="IcdDistillationOptions.ReversePreservationToClean"/>; METHOD D1: false).</summary>
    public bool ReversePreservationToClean { get; init; } = true;
    /// <summary>How many times the first segment counts in the preservation losses' segment draw
    /// (<see cref="IcdDistillationOptions.PreservationFirstSegmentWeight"/>; METHOD D1: 1). At 3 (drawn
    /// half the time) the held-out round trip is 30.75 dB against 30.50 at 1, and every segment loses
    /// less (nineteenth build, model card).</summary>
    public int PreservationFirstSegmentWeight { get; init; } = 3;
    /// <summary>Where the iCD students' inversion starts (METHOD B4: the noised latent at t = 19;
    /// Inverse-and-Edit starts at 0). Written into the manifest's <c>forward_timesteps</c>.</summary>
    public long ForwardStart { get; init; } = 19;
    /// <summary>LoRA rank of the students, the ablations and the cycle model. iCD's SD1.5 students use
    /// 64 on 320–1280 channels; 32 here is full rank on the 32-channel layers. Merged LoRA weights make
    /// rank 32 train faster than rank 16 did with PEFT's two-layer form.</summary>
    public long LoraRank { get; init; } = 32;
    /// <summary>LoRA alpha (scale alpha / rank). Under Adam, the update scale·B·A grows in proportion
    /// to the scale, so alpha acts as the students' step size: at rank 32, alpha 2 / 4 / 8 / 12 / 16
    /// round-trip 27.00 / 27.22 / 27.35 / 27.44 / 27.49 dB on held-out scenes (DDIM50: 28.26;
    /// fifteenth and sixteenth builds, model card). iCD's 8 / 64 for SD1.5 is alpha 4 here.</summary>
    public double LoraAlpha { get; init; } = 12;

    public static ShapesBuildOptions Quick { get; } = Make(steps: 4, batch: 4) with { PoolSize = 64 };

    private static ShapesBuildOptions Make(long steps, int batch)
    {
        RunOptions R() => new() { Steps = steps, BatchSize = batch, LearningRate = 1e-3, CheckpointEvery = 2, LogEvery = 1, ValidateEvery = 2 };
        // The optional third teacher phase too, so that the quick build exercises it.
        return new ShapesBuildOptions { Vae = R(), Clip = R(), Teacher = R(), TeacherPyramid = R(), TeacherCounterfactualPhase = R(), TeacherGrounding = 0.1, Guidance = R(), Icd = R(), Cycle = R() with { BatchSize = 1, SelectBy = "max:val_psnr" } };
    }
}
