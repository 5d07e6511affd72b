"""ex2 padding and strides."""
import numpy as np

from reference import mistakes
from reference import padding as ref

from .. import checks
from ..spec import Case, Exercise, Misconception, Task
from ._cases import filters, image, integer_image, size_label

LOOK_SIZE = "notebook ex2, section 'Output size' (lecture: 'Padding and Strides')"
LOOK_PAD = "notebook ex2, section 'Padding' (lecture: 'Padding Technique')"
LOOK_SAME = "notebook ex2, section 'Strides and \"same\" padding'"

SYMMETRIC_SAME = Misconception(
    "symmetric-same", "uneven \"same\" padding split the wrong way",
    "When the total padding of \"same\" is odd, TensorFlow puts the extra row at the bottom and the extra "
    "column at the right: top = total // 2, bottom = total - top.",
    mistakes.conv2d_strided_symmetric_same)


# Audit (EXERCISES.md is the contract; each case names the sentence it checks).
#
# conv_output_size: "`(n + 2p - f) // s + 1`": spans that the stride does not divide show `/` (a float, or
# ceil) instead of `//`; every case shows a missing + 1. "`ValueError` if `s < 1`, `p < 0`, `f < 1`, or
# `f > n + 2p`": one case each.
def _size_hidden(rng):
    cases = [Case("padding 1, stride 3", (10, 3, 1, 3)),
             Case("stride that does not divide the span", (10, 3, 0, 3)),
             Case("large padding, stride 2", (7, 5, 3, 2)),
             Case("filter as large as the padded input", (4, 6, 1, 1)),
             Case("1x1 filter, stride 4", (9, 1, 0, 4)),
             Case("odd input, even filter, stride 2", (int(rng.integers(11, 30)) | 1, 4, 0, 2))]
    cases += [Case("stride 0", (8, 3, 0, 0), expect="raises", reason="the stride must be at least 1"),
              Case("negative padding", (8, 3, -1, 1), expect="raises", reason="padding cannot be negative"),
              Case("filter size 0", (8, 0, 0, 1), expect="raises", reason="a filter is at least 1 wide"),
              Case("filter larger than the padded input", (4, 7, 1, 1), expect="raises",
                   reason="the filter does not fit")]
    return cases


# same_padding: "`(f - 1) // 2`, for odd `f >= 1`. `ValueError` for an even `f` ... or `f < 1`."
def _same_hidden(rng):
    return [Case("f = 1", (1,)), Case("f = 7", (7,)), Case("f = 11", (11,)),
            Case("even f = 2", (2,), expect="raises", reason="no symmetric padding exists for an even filter"),
            Case("f = 0", (0,), expect="raises", reason="a filter is at least 1 wide")]


# zero_pad: "padded with `p` zeros on each spatial side; channels are not padded. Returns `(H+2p, W+2p, C)`.
# `p = 0` returns an equal array. `ValueError` for `p < 0`." Several channels show padded channels.
def _pad_hidden(rng):
    return [Case("p = 0", (image(rng, 3, 4, 2), 0)),
            Case("p = 3 on a 4x5x3 input", (image(rng, 4, 5, 3), 3)),
            Case("p = 1 on a 1x1x1 input", (image(rng, 1, 1, 1), 1)),
            Case("p = -2", (image(rng, 3, 3, 1), -2), expect="raises", reason="padding cannot be negative")]


# conv2d_strided: "an int `stride >= 1` and `padding` either an int ... or "valid" / "same" with TensorFlow's
# rules: "same" gives `ceil(n / stride)` outputs, with total padding `max((ceil(n/s) - 1) * s + f - n, 0)`
# split so the extra pixel goes to the bottom and right". Strides > 1 (stride ignored), "same" with an odd
# total padding (8x8, 3x3, stride 2: symmetric-same), sides the stride does not divide, int paddings.
def _strided_hidden(rng):
    cases = []
    combos = [((7, 7, 2), (3, 3), 2, 2, "same"), ((8, 8, 1), (3, 3), 3, 2, "same"),
              ((6, 9, 3), (2, 3), 2, 2, "same"), ((9, 7, 2), (4, 2), 1, 3, "valid"),
              ((10, 10, 1), (3, 3), 3, 1, 2), ((5, 6, 2), (1, 1), 2, 3, "same"),
              ((8, 7, 3), (5, 3), 1, 2, 1), ((11, 11, 1), (3, 3), 1, 1, "same")]
    for shape, (kh, kw), f, s, padding in combos:
        what = '"%s"' % padding if isinstance(padding, str) else "padding %d" % padding
        cases.append(Case("%s input, %s kernel, stride %d, %s" % (size_label(shape), size_label((kh, kw)), s, what),
                          (image(rng, *shape), filters(rng, kh, kw, shape[2], f), rng.uniform(-1, 1, f)),
                          {"stride": s, "padding": padding}))
    x, w, b = image(rng, 6, 6, 1), filters(rng, 3, 3, 1, 1), np.zeros(1)
    # "ValueError for a bad `stride` or `padding`." Only names that are simply wrong: "Padding names are the
    # lower-case strings "valid" and "same"; other spellings are not graded", so no "SAME" here.
    cases += [Case("stride 0", (x, w, b), {"stride": 0}, expect="raises", reason="the stride must be at least 1"),
              Case("unknown padding name", (x, w, b), {"padding": "full"}, expect="raises",
                   reason='padding must be an int, "valid" or "same"'),
              Case("negative padding", (x, w, b), {"padding": -1}, expect="raises",
                   reason="padding cannot be negative")]
    return cases


# conv_output_shape: "the `(H', W', filters)` that `keras.layers.Conv2D(...)` gives"; "`kernel_size` and
# `strides` are ints or 2-tuples"; "`ValueError` where Keras would refuse (an output side below 1, a bad padding
# name)". Odd sides with "same" and stride 2 show floor instead of ceil.
def _shape_hidden(rng):
    return [Case("non-square kernel and strides, \"same\"", ((15, 10, 3), 8, (3, 2), (2, 3), "same")),
            Case("stride 3, \"valid\"", ((11, 11, 1), 4, 3, 3, "valid")),
            Case("kernel as large as the input", ((5, 5, 2), 1, 5)),
            Case("even input, stride 2, \"same\"", ((8, 6, 4), 2, 3, 2, "same")),
            Case("kernel larger than the input, \"valid\"", ((4, 4, 1), 2, 5), expect="raises",
                 reason="the output would have no rows"),
            Case("unknown padding name", ((8, 8, 1), 2, 3, 1, "full"), expect="raises",
                 reason='padding must be "valid" or "same"')]


EXERCISE = Exercise(
    key="ex2", topic="padding", title="Padding and strides",
    tasks=(
        Task("conv_output_size", 2, ref.conv_output_size, checks.integer,
             # public: the lecture's 6 -> 4, "padding p = (f - 1) / 2 keeps the size", a stride, s < 1
             public=(Case("the lecture's 6x6 image, 3x3 filter", (6, 3)),
                     Case("5 wide, 3x3 filter, padding 1 keeps the size", (5, 3, 1)),
                     Case("7 wide, 3x3 filter, stride 2", (7, 3, 0, 2)),
                     Case("stride 0", (6, 3, 0, 0), expect="raises", reason="the stride must be at least 1")),
             hidden=_size_hidden,
             misconceptions=(
                 Misconception("no-plus-one", "the + 1 is missing",
                               "The filter's first position counts too: (n + 2p - f) // s steps fit after it, "
                               "so the output has (n + 2p - f) // s + 1 cells.",
                               mistakes.conv_output_size_no_plus_one),),
             look_at=LOOK_SIZE),
        Task("same_padding", 1, ref.same_padding, checks.integer,
             # public: "(f - 1) // 2" for odd f; "ValueError for an even f"
             public=(Case("3x3 filter", (3,)), Case("5x5 filter", (5,)),
                     Case("even 4x4 filter", (4,), expect="raises",
                          reason="no symmetric padding exists for an even filter")),
             hidden=_same_hidden, look_at=LOOK_PAD),
        Task("zero_pad", 2, ref.zero_pad, checks.array,
             # public: "(H+2p, W+2p, C)", "channels are not padded", "ValueError for p < 0"
             public=(Case("2x2x1 input, p = 1", (np.array([[1.0, 2.0], [3.0, 4.0]])[:, :, None], 1)),
                     Case("3x2x2 input, p = 2", (integer_image(np.random.default_rng(4), 3, 2, 2), 2)),
                     Case("p = -1", (np.ones((2, 2, 1)), -1), expect="raises", reason="padding cannot be negative")),
             hidden=_pad_hidden,
             misconceptions=(
                 Misconception("padded-channels", "the channels were padded too",
                               "Padding adds zeros around the image's border only: pass np.pad "
                               "((p, p), (p, p), (0, 0)) so the channel axis keeps its size.",
                               mistakes.zero_pad_channels_too),),
             look_at=LOOK_PAD),
        Task("conv2d_strided", 3, ref.conv2d_strided, checks.array,
             # public: an int padding with a stride; "same" with the extra pixel bottom/right; "valid" stride 3
             public=(Case("5x5x1 input, 3x3 filter, stride 2, padding 1",
                          (integer_image(np.random.default_rng(5), 5, 5, 1), np.ones((3, 3, 1, 1)), np.zeros(1)),
                          {"stride": 2, "padding": 1}),
                     Case('6x6x1 input, 3x3 filter, stride 2, "same" (uneven padding)',
                          (integer_image(np.random.default_rng(6), 6, 6, 1),
                           integer_image(np.random.default_rng(7), 3, 3, 1)[:, :, :, None], np.array([0.5])),
                          {"stride": 2, "padding": "same"}),
                     Case('7x7x2 input, two 3x3 filters, stride 3, "valid"',
                          (integer_image(np.random.default_rng(8), 7, 7, 2),
                           integer_image(np.random.default_rng(9), 3, 3, 4).reshape(3, 3, 2, 2), np.array([1.0, 0.0])),
                          {"stride": 3, "padding": "valid"}),
                     # "ValueError for a bad padding"; "SAME" is another spelling, not graded (Conventions)
                     Case('unknown padding "full"', (np.ones((4, 4, 1)), np.ones((3, 3, 1, 1)), np.zeros(1)),
                          {"padding": "full"}, expect="raises", reason='padding must be an int, "valid" or "same"')),
             hidden=_strided_hidden,
             misconceptions=(
                 SYMMETRIC_SAME,
                 Misconception("stride-ignored", "the stride is ignored",
                               "With stride s the filter jumps s cells at a time: output cell (i, j) reads the "
                               "window starting at (i * s, j * s).",
                               mistakes.conv2d_strided_stride_ignored)),
             look_at=LOOK_SAME),
        Task("conv_output_shape", 2, ref.conv_output_shape, checks.int_sequence,
             # public: the residual listing's shapes; "strides ... 2-tuples"; "a bad padding name"
             public=(Case("32x32x3 input, 16 filters 3x3", ((32, 32, 3), 16, 3)),
                     Case('32x32x3 input, 8 filters 3x3, stride 2, "same"', ((32, 32, 3), 8, 3, 2, "same")),
                     Case('9x9x1 input, 4 filters 3x5, strides (2, 1)', ((9, 9, 1), 4, (3, 5), (2, 1))),
                     Case('unknown padding "full"', ((8, 8, 3), 4, 3, 1, "full"), expect="raises",
                          reason='padding must be "valid" or "same"')),
             hidden=_shape_hidden, look_at=LOOK_SAME),
    ),
)
