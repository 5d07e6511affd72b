"""ex1 convolution: images are numbers; the convolution operation."""
import numpy as np

from reference import convolution as ref
from reference import mistakes

from .. import checks
from ..spec import Case, Exercise, Misconception, Task
from ._cases import LECTURE_EDGE_KERNEL, filters, image, integer_image, lecture_edge_image, size_label

LOOK_UNIT = "notebook ex1, section 'Images are numbers'"
LOOK_CONV = "notebook ex1, section 'The convolution operation' (lecture: 'The Convolution Operation')"

FLIPPED = Misconception(
    "flipped-kernel", "the kernel is flipped (mathematical convolution)",
    "Deep-learning 'convolution' is cross-correlation: slide the filter over the image and multiply "
    "it element by element as it is, without rotating it by 180 degrees. Drop the flip "
    "(no [::-1, ::-1], no scipy.signal.convolve2d).",
    mistakes.conv2d_single_flipped)

SAME_SIZE = Misconception(
    "padded-output", "the output has the input's size",
    "Without padding, an f-wide filter fits in only n - f + 1 positions along a side, so the output "
    "shrinks: (H - kh + 1, W - kw + 1). Padding comes in ex2.",
    mistakes.conv2d_single_same_size)


# Audit (EXERCISES.md is the contract; each case names the sentence it checks).
#
# to_unit_range: "a `uint8` image with values in [0, 255] of any shape, returned with the same shape as dtype
# `float32` (checked: float64 fails) in [0, 1] (`image / 255`)". Every case checks dtype and values, so the
# float64 slip (image / 255 unconverted) and the not-scaled misconception show on all of them.
def _unit_hidden(rng):
    cases = []
    # "of any shape": 1-D, 2-D, 3-D and 4-D
    for shape in [(7,), (5, 6), (9, 8, 3), (2, 3, 4, 3)]:
        cases.append(Case("uint8 array of shape %s" % size_label(shape),
                          (rng.integers(0, 256, size=shape, dtype=np.uint8),)))
    cases.append(Case("all-255 image", (np.full((4, 5, 3), 255, np.uint8),)))   # "in [0, 1]": 255 -> exactly 1
    return cases


# conv2d_single: "`image (H, W)`, `kernel (kh, kw)` (not necessarily square), stride 1, no padding. Returns
# `(H-kh+1, W-kw+1)`" and "cross-correlation ... with no kernel flip": random kernels show a flip; non-square
# images and kernels show swapped axes; a kernel as large as the image is the 1x1-output edge.
def _single_hidden(rng):
    cases = []
    for (h, w), (kh, kw) in [((7, 7), (3, 3)), ((8, 6), (2, 3)), ((5, 9), (1, 4)), ((6, 5), (4, 1)),
                             ((4, 4), (4, 4)), ((10, 11), (5, 3))]:
        cases.append(Case("%s image, %s kernel" % (size_label((h, w)), size_label((kh, kw))),
                          (image(rng, h, w), image(rng, kh, kw))))
    # "`ValueError` if the kernel is larger than the image in either dimension, or either argument is not 2-D"
    cases.append(Case("kernel taller than the image", (image(rng, 3, 6), image(rng, 4, 2)),
                      expect="raises", reason="the kernel does not fit in the image"))
    cases.append(Case("kernel wider than the image", (image(rng, 6, 3), image(rng, 2, 4)),
                      expect="raises", reason="the kernel does not fit in the image"))
    cases.append(Case("3-D image", (image(rng, 5, 5, 2), image(rng, 3, 3)),
                      expect="raises", reason="conv2d_single takes a 2-D image"))
    cases.append(Case("1-D kernel", (image(rng, 5, 5), rng.uniform(-1, 1, size=3)),
                      expect="raises", reason="conv2d_single takes a 2-D kernel"))
    return cases


# conv2d: "`x (H, W, C)`, `filters (kh, kw, C, F)`, `bias (F,)`; stride 1, no padding. Returns
# `(H-kh+1, W-kw+1, F)`: each output channel sums over all input channels, plus its bias." Several input
# channels (channels-not-summed), random biases (missing-bias), F = 1 and F > C, non-square kernels.
def _conv_hidden(rng):
    cases = []
    for (h, w, c), (kh, kw), f in [((6, 6, 3), (3, 3), 4), ((7, 5, 1), (2, 3), 2), ((5, 8, 4), (3, 1), 1),
                                   ((9, 9, 2), (5, 5), 3), ((4, 6, 3), (4, 2), 5)]:
        cases.append(Case("%s input, %s kernel, %d filters" % (size_label((h, w, c)), size_label((kh, kw)), f),
                          (image(rng, h, w, c), filters(rng, kh, kw, c, f), rng.uniform(-1, 1, size=f))))
    # "`ValueError` on mismatched channels or bias length"
    cases.append(Case("filters with a different number of channels than the input",
                      (image(rng, 6, 6, 3), filters(rng, 3, 3, 2, 4), rng.uniform(-1, 1, size=4)),
                      expect="raises", reason="the input has 3 channels but the filters expect 2"))
    cases.append(Case("bias of the wrong length",
                      (image(rng, 6, 6, 2), filters(rng, 3, 3, 2, 4), rng.uniform(-1, 1, size=3)),
                      expect="raises", reason="the bias must have one value per filter"))
    return cases


_RGB = np.arange(4 * 4 * 3).reshape(4, 4, 3) * 5 % 256

EXERCISE = Exercise(
    key="ex1", topic="convolution", title="Images are numbers; the convolution operation",
    tasks=(
        Task("to_unit_range", 2, ref.to_unit_range, checks.array_float32,
             # public: the two ends of [0, 255] and an RGB image ("of any shape")
             public=(Case("2x3 grayscale uint8 image with 0, 255 and values between",
                          (np.array([[0, 51, 102], [153, 204, 255]], np.uint8),)),
                     Case("4x4 RGB uint8 image", (_RGB.astype(np.uint8),))),
             hidden=_unit_hidden,
             misconceptions=(
                 Misconception("not-scaled", "the values were not divided by 255",
                               "Pixels are stored as integers in [0, 255]; scaling maps them to [0, 1] "
                               "by dividing by 255 (what Rescaling(1./255) does in the residual listing).",
                               mistakes.to_unit_range_no_scale),),
             look_at=LOOK_UNIT),
        Task("conv2d_single", 4, ref.conv2d_single, checks.array,
             # public: "The lecture's example: a 6x6 image ... gives a 4x4 output whose two middle columns are
             # 30"; a non-square kernel; "ValueError if the kernel is larger than the image"
             public=(Case("the lecture's 6x6 vertical-edge image with a 3x3 edge kernel",
                          (lecture_edge_image(), LECTURE_EDGE_KERNEL)),
                     Case("3x3 image, 2x2 kernel (the corr2d example of Dive into Deep Learning)",
                          (np.arange(9.0).reshape(3, 3), np.array([[0.0, 1.0], [2.0, 3.0]]))),
                     Case("4x5 image, non-square 2x3 kernel",
                          (integer_image(np.random.default_rng(1), 4, 5), np.array([[1.0, 0, -1], [2, 1, 0]]))),
                     Case("kernel larger than the image", (np.ones((2, 2)), np.ones((3, 3))),
                          expect="raises", reason="the 3x3 kernel does not fit in the 2x2 image")),
             hidden=_single_hidden,
             misconceptions=(FLIPPED, SAME_SIZE),
             look_at=LOOK_CONV),
        Task("conv2d", 4, ref.conv2d, checks.array,
             # public: channels summed plus bias; "Equals tf.nn.conv2d(...)" on the lecture's image; mismatch
             public=(Case("4x4x2 input, two 3x3 filters, bias (1, -1)",
                          (integer_image(np.random.default_rng(2), 4, 4, 2),
                           integer_image(np.random.default_rng(3), 3, 3, 4).reshape(3, 3, 2, 2),
                           np.array([1.0, -1.0]))),
                     Case("the lecture's edge image as one channel, one filter, bias 0",
                          (lecture_edge_image()[:, :, None], LECTURE_EDGE_KERNEL[:, :, None, None], np.zeros(1))),
                     Case("filters for 3 channels on a 2-channel input",
                          (np.ones((4, 4, 2)), np.ones((3, 3, 3, 1)), np.zeros(1)),
                          expect="raises", reason="the input has 2 channels but the filters expect 3")),
             hidden=_conv_hidden,
             misconceptions=(
                 Misconception("flipped-kernel", FLIPPED.title, FLIPPED.explanation, mistakes.conv2d_flipped),
                 Misconception("missing-bias", "the bias is missing",
                               "Each filter has one bias, added to every position of its output channel: "
                               "out[..., f] = sum(window * filters[..., f]) + bias[f].",
                               mistakes.conv2d_no_bias),
                 Misconception("channels-not-summed", "only one input channel is used",
                               "A filter spans all input channels: multiply the (kh, kw, C) window by the "
                               "(kh, kw, C) filter and sum over all three axes, channels included.",
                               mistakes.conv2d_first_channel_only)),
             look_at=LOOK_CONV),
    ),
)
