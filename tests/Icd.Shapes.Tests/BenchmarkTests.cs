namespace Icd.Shapes.Tests;

public class BenchmarkTests
{
    [Fact]
    public void HeldOutBenchmarkIsBalancedDeterministicAndJudgeable()
    {
        var edits = ShapesBenchmark.Create(1, 50, ShapesSplit.HeldOut);
        Assert.Equal(300, edits.Count);
        Assert.All(EditKinds.All, k => Assert.Equal(50, edits.Count(e => e.Kind == k)));
        Assert.Equal(EditKinds.All, edits.Take(6).Select(e => e.Kind));
        var again = ShapesBenchmark.Create(1, 50, ShapesSplit.HeldOut);
        Assert.Equal(edits.Select(e => e.ToString()), again.Select(e => e.ToString()));
        Assert.All(edits.Zip(again), p => Assert.Equal(p.First.SourceImage.Pixels, p.Second.SourceImage.Pixels));
        Assert.All(edits, e => Assert.True(EditJudge.Judge(e, e.TargetImage).Success));
        Assert.Equal(300, edits.Select(e => e.Source.Fingerprint).Distinct().Count());
    }

    [Fact]
    public void HeldOutScenesAreNotInTheTrainingPrefix()
    {
        var training = ShapesBenchmark.TrainingFingerprints(1);
        // A third of the scenes have one object, and there are only ~11,000 one-object scenes, so about
        // 670,000 of the first 1,000,000 are distinct.
        Assert.InRange(training.Count, 600_000, 700_000);
        var edits = ShapesBenchmark.Create(1, 20, ShapesSplit.HeldOut);
        Assert.All(edits, e =>
        {
            Assert.DoesNotContain(e.Source.Fingerprint, training);
            Assert.DoesNotContain(e.Target.Fingerprint, training);
        });
        // Spot-check with an independent path: the training set's own scenes.
        var set = new TrainingSet(1);
        var heldOutCaptions = edits.Select(e => e.SourceCaption.Text).ToHashSet();
        Assert.DoesNotContain(set.Enumerate().Take(5_000), x => heldOutCaptions.Contains(x.Caption.Text));
    }

    [Fact]
    public void TrainSplitBenchmarkDiffersFromHeldOut()
    {
        var train = ShapesBenchmark.Create(1, 5, ShapesSplit.Train);
        var heldOut = ShapesBenchmark.Create(1, 5, ShapesSplit.HeldOut);
        Assert.Equal(30, train.Count);
        Assert.Empty(train.Select(e => e.Source.Fingerprint).Intersect(heldOut.Select(e => e.Source.Fingerprint)));
        Assert.Empty(ShapesBenchmark.Create(1, 0, ShapesSplit.Train));
        Assert.Throws<ArgumentOutOfRangeException>(() => ShapesBenchmark.Create(1, -1, ShapesSplit.Train));
    }

    [Fact]
    public void TrainingSetIsDeterministicByIndex()
    {
        var set = new TrainingSet(42);
        var forward = set.Enumerate().Take(20).ToList();
        var other = new TrainingSet(42);
        for (int i = 19; i >= 0; i--)
        {
            var x = other[i];
            Assert.Equal(forward[i].Caption, x.Caption);
            Assert.Equal(forward[i].Image.Pixels, x.Image.Pixels);
            Assert.Equal(i, x.Index);
        }
        Assert.Equal(forward.Skip(7).First().Caption, set.Enumerate(7).First().Caption);
        Assert.NotEqual(forward[0].Caption, new TrainingSet(43)[0].Caption);
        Assert.Equal(64, forward[0].Image.Width);
        Assert.Equal(CaptionWriter.Describe(forward[3].Scene), forward[3].Caption);
    }
}
