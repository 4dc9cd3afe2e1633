namespace Icd.Imaging;

/// <summary>Pixels as stored in the file, plus the EXIF orientation (1–8) still to be applied to them.</summary>
internal readonly record struct DecodedImage(RgbImage Image, int Orientation);
