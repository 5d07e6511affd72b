"""ex3 pooling: max, min and average pooling; global average pooling."""
import numpy as np

from reference import mistakes
from reference import pooling as ref

from .. import checks
from ..spec import Case, Exercise, Misconception, Task
from ._cases import image, integer_image, size_label

LOOK_POOL = "notebook ex3, section 'Pooling' (lecture: 'What is Pooling?')"
LOOK_SAME = "notebook ex3, section '\"same\" padding in pooling'"

_LECTURE_4X4 = np.array([[1.0, 1, 2, 4], [5, 6, 7, 8], [3, 2, 1, 0], [1, 2, 3, 4]])[:, :, None]


# Audit (EXERCISES.md is the contract; each case names the sentence it checks).
#
# pool2d: "`strides` defaults to `pool_size` (Keras' rule)" (default strides: stride-one), "`mode` is "max",
# "min" or "avg"" (each mode: min-as-max), "`padding="same"` follows TensorFlow: `ceil(n / s)` outputs, extra
# padding bottom/right, padded cells never win a max or min and are not counted in an average" (all-negative
# inputs: padding-wins-max; "same" average on odd sides: avg-counts-padding), odd sides under "valid" (floor),
# strides other than the pool size.
def _pool_hidden(rng):
    cases = []
    combos = [((6, 6, 2), 2, None, "valid", "max"), ((7, 7, 1), 2, None, "valid", "avg"),
              ((5, 7, 3), 3, 2, "valid", "min"), ((7, 5, 2), 2, None, "same", "max"),
              ((5, 5, 1), 2, None, "same", "avg"), ((5, 6, 2), 3, 2, "same", "min"),
              ((8, 8, 1), 3, 1, "valid", "avg"), ((9, 9, 2), 2, 3, "same", "max")]
    for shape, size, strides, padding, mode in combos:
        x = image(rng, *shape) - 2.0  # all negative: zero padding must never win a max
        what = "pool %d, %s, %s, %s" % (size, "default strides" if strides is None else "strides %d" % strides,
                                         '"%s"' % padding, mode)
        cases.append(Case("%s input (all values negative), %s" % (size_label(shape), what), (x,),
                          {"pool_size": size, "strides": strides, "padding": padding, "mode": mode}))
    # "`ValueError` for an unknown mode or padding, or a window larger than the input under "valid""
    cases += [Case('mode "median"', (image(rng, 4, 4, 1),), {"mode": "median"}, expect="raises",
                   reason='mode must be "max", "min" or "avg"'),
              Case('3x3 window on a 2x2 input, "valid"', (image(rng, 2, 2, 1),), {"pool_size": 3},
                   expect="raises", reason="the window does not fit the input"),
              Case("unknown padding name", (image(rng, 4, 4, 1),), {"padding": "full"}, expect="raises",
                   reason='padding must be "valid" or "same"')]
    return cases


# pool_output_shape: "what `keras.layers.MaxPooling2D` gives for an `(H, W, C)` input; `pool_size` and `strides`
# ints or 2-tuples (`strides=None` means `pool_size`). `ValueError` where Keras would refuse (an output side
# below 1, a bad padding name)."
def _shape_hidden(rng):
    return [Case("pool 3, default strides", ((10, 9, 4), 3)),
            Case('pool 2, "same", odd input', ((7, 9, 1), 2, None, "same")),
            Case("non-square pool and strides", ((12, 10, 3), (3, 2), (2, 3))),
            Case('pool 3 stride 1, "same"', ((5, 5, 2), 3, 1, "same")),
            Case("window larger than the input", ((2, 2, 1), 3), expect="raises",
                 reason="the output would have no rows"),
            # "ValueError where Keras would refuse (... a bad padding name)": a wrong name, not another
            # spelling ("other spellings are not graded"; Keras itself accepts "SAME").
            Case("unknown padding name", ((6, 6, 1), 2, None, "full"), expect="raises",
                 reason='padding must be "valid" or "same"')]


# global_average_pool: "`(H, W, C)` to `(C,)`, the mean of each channel": C != H, W shows the wrong axis.
def _gap_hidden(rng):
    return [Case("%s input" % size_label(shape), (image(rng, *shape),))
            for shape in [(5, 7, 3), (1, 1, 4), (8, 8, 1), (3, 2, 10)]]


EXERCISE = Exercise(
    key="ex3", topic="pooling", title="Max, min and average pooling",
    tasks=(
        Task("pool2d", 6, ref.pool2d, checks.array,
             # public: the lecture's 4x4 example in each mode; "same" max on negative values; "same" average
             # on an odd side; an unknown mode
             public=(Case("4x4x1 input, 2x2 max pooling", (_LECTURE_4X4,)),
                     Case("4x4x1 input, 2x2 average pooling", (_LECTURE_4X4,), {"mode": "avg"}),
                     Case("4x4x1 input, 2x2 min pooling", (_LECTURE_4X4,), {"mode": "min"}),
                     Case('5x5x2 negative input, 2x2 max pooling, "same"',
                          (integer_image(np.random.default_rng(10), 5, 5, 2) - 5.0,), {"padding": "same"}),
                     Case('5x5x1 input, 2x2 average pooling, "same"',
                          (integer_image(np.random.default_rng(11), 5, 5, 1),), {"padding": "same", "mode": "avg"}),
                     Case('mode "median"', (_LECTURE_4X4,), {"mode": "median"}, expect="raises",
                          reason='mode must be "max", "min" or "avg"')),
             hidden=_pool_hidden,
             misconceptions=(
                 Misconception("stride-one", "the window moves one cell at a time",
                               "In Keras, strides=None means strides = pool_size: the windows do not overlap "
                               "and a 2x2 pool halves each side (the lecture: stride = pool width).",
                               mistakes.pool2d_stride_one),
                 Misconception("avg-counts-padding", "padded cells are counted in the average",
                               'With "same" padding TensorFlow averages only the real cells of each window: '
                               "divide by the number of real cells, not by pool_size ** 2.",
                               mistakes.pool2d_avg_counts_padding),
                 Misconception("padding-wins-max", "the zero padding took part in the max or min",
                               'Padded cells must never win a max or min: pad with -inf for max (+inf for min), '
                               "or take the max over the real cells only.",
                               mistakes.pool2d_same_pads_zero_for_max),
                 Misconception("min-as-max", 'mode "min" computes the max',
                               "Min pooling keeps the smallest value of each window: np.min, or -max(-x).",
                               mistakes.pool2d_min_as_max)),
             look_at=LOOK_POOL),
        Task("pool_output_shape", 2, ref.pool_output_shape, checks.int_sequence,
             # public: the defaults; "same" on an odd side; strides; "a bad padding name" (a wrong name, not
             # another spelling: "other spellings are not graded")
             public=(Case("4x4x3 input, pool 2", ((4, 4, 3),)),
                     Case('5x5x1 input, pool 2, "same"', ((5, 5, 1), 2, None, "same")),
                     Case("7x7x2 input, pool 3, strides 2", ((7, 7, 2), 3, 2)),
                     Case("unknown padding name", ((4, 4, 1), 2, None, "full"), expect="raises",
                          reason='padding must be "valid" or "same"')),
             hidden=_shape_hidden,
             misconceptions=(
                 Misconception("stride-one", "strides=None was taken as 1",
                               "In Keras, strides=None means strides = pool_size.",
                               mistakes.pool_output_shape_stride_one),),
             look_at=LOOK_SAME),
        Task("global_average_pool", 2, ref.global_average_pool, checks.array,
             public=(Case("2x2x2 input", (np.array([[[1.0, 10], [2, 20]], [[3, 30], [4, 40]]]),)),
                     Case("3x4x3 input", (integer_image(np.random.default_rng(12), 3, 4, 3),))),
             hidden=_gap_hidden,
             misconceptions=(
                 Misconception("wrong-axis", "the mean was taken over the channels",
                               "Global average pooling keeps one number per channel: average over the two "
                               "spatial axes, x.mean(axis=(0, 1)), giving shape (C,).",
                               mistakes.global_average_pool_wrong_axis),),
             look_at=LOOK_POOL),
    ),
)
