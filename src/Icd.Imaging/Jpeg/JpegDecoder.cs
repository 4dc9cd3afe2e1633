using System.Runtime.InteropServices;
using Icd.Imaging.Exif;

namespace Icd.Imaging.Jpeg;

/// <summary>Decodes a JPEG file held in memory to 8-bit RGB through TurboJPEG.</summary>
internal static class JpegDecoder
{
    // TJCS_CMYK and TJCS_YCCK: libjpeg-turbo cannot turn these into RGB.
    private const int ColorspaceCmyk = 3, ColorspaceYcck = 4;

    public static DecodedImage Decode(byte[] file, string path, ImageReadOptions options)
    {
        try
        {
            var image = DecodePixels(file, path, options);
            return new DecodedImage(image, ExifOrientation.Read(JpegSegments.FindExif(file)));
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            throw new ImageFormatException(path, "JPEG support needs libturbojpeg0 (apt-get install libturbojpeg0)", e);
        }
    }

    private static unsafe RgbImage DecodePixels(byte[] file, string path, ImageReadOptions options)
    {
        nint handle = TurboJpegNative.InitDecompress();
        if (handle == 0)
            throw new ImageFormatException(path, "could not start the TurboJPEG decompressor");
        try
        {
            fixed (byte* jpeg = file)
            {
                var size = new CULong((nuint)file.Length);
                if (TurboJpegNative.DecompressHeader3(handle, jpeg, size, out int width, out int height, out _, out int colorspace) != 0)
                    ThrowUnlessHarmless(handle, path, "invalid JPEG header");
                if (width <= 0 || height <= 0)
                    throw new ImageFormatException(path, $"JPEG file is truncated or corrupt: its header gives the size {width}×{height}");
                if (colorspace is ColorspaceCmyk or ColorspaceYcck)
                    throw new ImageFormatException(path, "CMYK JPEGs are not supported; save the image as RGB");
                ImageSizeLimit.Check(path, width, height, options);

                var pixels = new byte[width * height * 3];
                fixed (byte* destination = pixels)
                {
                    if (TurboJpegNative.Decompress2(handle, jpeg, size, destination, width, width * 3, height,
                            TurboJpegNative.PixelFormatRgb, TurboJpegNative.FlagLimitScans) != 0)
                        ThrowUnlessHarmless(handle, path, "corrupt JPEG data");
                }
                return new RgbImage(width, height, pixels);
            }
        }
        finally
        {
            TurboJpegNative.Destroy(handle);
        }
    }

    /// <summary>
    /// Fatal errors always fail. Warnings are libjpeg noticing damage it could step over (stray bytes before a
    /// marker, say): those pixels are right and many camera files have such flaws, so they pass. The exception is
    /// running out of data, where libjpeg fills the missing rows with grey: an editing tool should refuse that
    /// half-image rather than quietly work on it.
    /// </summary>
    private static void ThrowUnlessHarmless(nint handle, string path, string failure)
    {
        string message = TurboJpegNative.LastError(handle);
        bool warning = TurboJpegNative.GetErrorCode(handle) == TurboJpegNative.ErrorWarning;
        bool truncated = message.Contains("premature end", StringComparison.OrdinalIgnoreCase);
        if (warning && !truncated)
            return;
        throw new ImageFormatException(path, truncated ? $"JPEG data is truncated: {message}" : $"{failure}: {message}");
    }
}
