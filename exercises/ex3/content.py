'''Content of notebook ex3: max, min and average pooling.

Plain data, read by ``exercises/build_notebooks.py`` (see exercises/README.md):
CELLS lists the notebook's cells in order; a ``{"task": ...}`` entry becomes
three cells (description, solution, autograded tests). Rebuild with
``python exercises/build_notebooks.py`` after editing.
'''

EXERCISE = "ex3"
NUMPY_ONLY = True   # no code cell may import TensorFlow or Keras

INTRO = r"""# Exercise 3: pooling

After a convolution, a CNN usually **pools**: it shrinks each feature map by
summarising small blocks of it with a single number. In this exercise you
write max, min and average pooling, the output shapes Keras gives for them,
and the global average pooling that ends the lecture's residual network.

| Task | Points |
|---|---|
| `pool2d` | 6 |
| `pool_output_shape` | 2 |
| `global_average_pool` | 2 |
| **Total** | **10** |

**How to work.** In every solution cell, delete the line
`raise NotImplementedError()` and write your code in its place. Then run the
test cell below it. Those tests try a few small cases worked out by hand; the
grading adds hidden cases. Use NumPy only. Do not import TensorFlow or Keras.

**Conventions**, as in exercises 1 and 2. Where a choice is needed, they
follow TensorFlow/Keras:

* Feature maps are `(H, W, C)` (channels-last), and every channel is pooled
  on its own.
* `pool_size` and `strides` mean what they mean in
  `keras.layers.MaxPooling2D`. The padding names are `"valid"` and `"same"`,
  in lower case.
* Never change an input in place. Raise `ValueError` for the invalid
  arguments each task lists.
"""

POOLING = r"""## Pooling

A pooling layer slides a window over each channel, just as a convolution
does. It has no weights, though. From each window it keeps one summary:

* **max pooling**: the largest value, i.e. "is the feature present somewhere here?";
* **min pooling**: the smallest value;
* **average pooling**: the mean of the window.

Pooling down-samples the feature maps. The representation gets coarser, later
layers have fewer numbers to handle, and each cell of a later map summarises a
larger part of the original image. All of this helps against overfitting.
Usually the **stride equals the pool width**, so the windows tile the map
without overlapping. That is Keras' default as well: `MaxPooling2D(2)` means
2 x 2 windows with stride 2, which halves each side. In Keras,
`strides=None` means "strides = pool_size".

Example, one channel of 4 x 4 pooled with 2 x 2 windows (stride 2):

```
1 1 | 2 4        max        min        avg
5 6 | 7 8   ->   6 8        1 2        3.25 5.25
----+----        3 4        1 0        2.0  2.0
3 2 | 1 0
1 2 | 3 4
```

The top-left window holds 1, 1, 5, 6: its max is 6, its min 1 and its mean
13 / 4 = 3.25.

With `"valid"` padding, an axis of $n$ cells pooled with window $k$ and stride
$s$ gives $\lfloor (n - k)/s \rfloor + 1$ outputs. Cells that no window covers
are dropped.
"""

SAME_POOLING = r"""## "same" padding in pooling

With `padding="same"`, TensorFlow pools exactly as it convolves (exercise 2).
Each axis gets $\lceil n/s \rceil$ outputs. The total padding
$\max((\lceil n/s \rceil - 1)\cdot s + k - n,\ 0)$ is split with the extra
cell at the **bottom/right**.

Padded cells are not data, though:

* they **never win** a max or a min. Think of them as $-\infty$ for max and
  $+\infty$ for min, or simply leave them out;
* they are **not counted** in an average. A window that holds 2 real cells is
  divided by 2, not by `pool_size ** 2`.

Example: a 5 x 5 map pooled 2 x 2 (stride 2) with `"same"` gives
$\lceil 5/2 \rceil = 3$ outputs per side. The total padding is
$(3 - 1)\cdot 2 + 2 - 5 = 1$, so there is one padded row at the bottom and one
padded column at the right. The last row of windows covers only the map's
last real row.
"""

POOL2D = {
    "name": "pool2d",
    "signature": 'pool2d(x, pool_size=2, strides=None, padding="valid", mode="max")',
    "points": 6,
    "text": r"""### Task 1: `pool2d(x, pool_size=2, strides=None, padding="valid", mode="max")` (6 points)

* `x`: `(H, W, C)`; every channel is pooled separately, over
  `pool_size x pool_size` windows.
* `strides`: the step between windows; **`None` means `pool_size`** (Keras' rule).
* `padding`: `"valid"` (no padding) or `"same"` (TensorFlow's rule above:
  extra padding at the bottom/right, padded cells never win a max or min and
  are not counted in an average).
* `mode`: `"max"`, `"min"` or `"avg"`.
* Returns: `(H', W', C)`, equal to `tf.nn.max_pool2d` (mode `"max"`),
  `-tf.nn.max_pool2d(-x)` (`"min"`) or `tf.nn.avg_pool2d` (`"avg"`) with the
  same window, strides and padding.
* Raises `ValueError` for an unknown `mode` or `padding`, or for a window
  larger than the input under `"valid"`.
""",
    "solution": r'''def pool2d(x, pool_size=2, strides=None, padding="valid", mode="max"):
    """Max, min or average pooling of each channel of an (H, W, C) array.

    Parameters
    ----------
    x : array (H, W, C).
    pool_size : window side (an int, or a pair along H and W).
    strides : step between windows; None means pool_size (Keras).
    padding : "valid" or "same" (TensorFlow: ceil(n / s) outputs, extra
        padding bottom/right, padded cells ignored).
    mode : "max", "min" or "avg".

    Returns
    -------
    array (H', W', C).

    Raises
    ------
    ValueError for an unknown mode or padding, or a window larger than the
    input under "valid".
    """
    ### BEGIN SOLUTION
    if mode not in ("max", "min", "avg"):
        raise ValueError('mode must be "max", "min" or "avg", got %r' % (mode,))
    if padding not in ("valid", "same"):
        raise ValueError('padding must be "valid" or "same", got %r' % (padding,))
    x = np.asarray(x, dtype=float)
    if x.ndim != 3:
        raise ValueError("x must be (H, W, C), got shape %s" % (x.shape,))
    window = tuple(pool_size) if isinstance(pool_size, (tuple, list)) else (pool_size, pool_size)
    if strides is None:
        strides = window
    step = tuple(strides) if isinstance(strides, (tuple, list)) else (strides, strides)
    if min(window) < 1 or min(step) < 1:
        raise ValueError("pool_size and strides must be at least 1")

    pads = []
    for n, k, s in zip(x.shape[:2], window, step):
        if padding == "valid":
            if k > n:
                raise ValueError("a window of %d does not fit in %d cells" % (k, n))
            pads.append((0, 0))
        else:
            out_n = -(-n // s)                                   # ceil(n / s)
            total = max((out_n - 1) * s + k - n, 0)
            pads.append((total // 2, total - total // 2))        # the extra cell goes after
    # Padded cells hold NaN, which np.nanmax / np.nanmin / np.nanmean skip:
    # they never win a max or min and are not counted in an average.
    padded = np.pad(x, (pads[0], pads[1], (0, 0)), constant_values=np.nan)
    windows = np.lib.stride_tricks.sliding_window_view(padded, window, axis=(0, 1))
    windows = windows[::step[0], ::step[1]]                      # (H', W', C, kh, kw)
    reduce = {"max": np.nanmax, "min": np.nanmin, "avg": np.nanmean}[mode]
    return reduce(windows, axis=(3, 4))
    ### END SOLUTION''',
    "tests": r'''# The 4x4 example from the text, as one channel.
fmap = np.array([[1, 1, 2, 4],
                 [5, 6, 7, 8],
                 [3, 2, 1, 0],
                 [1, 2, 3, 4]], dtype=float)[:, :, None]
fmap_before = fmap.copy()
pooled = np.asarray(pool2d(fmap))
assert pooled.shape == (2, 2, 1), (
    "expected shape (2, 2, 1), got %s: with strides=None the stride equals pool_size, so a 2x2 pool "
    "halves each side ((3, 3, 1) means the windows moved 1 cell at a time)" % (pooled.shape,))
assert np.allclose(pooled[:, :, 0], [[6, 8],
                                     [3, 4]]), "max pooling should give [[6, 8], [3, 4]]; got\n%s" % pooled[:, :, 0]
assert np.array_equal(fmap, fmap_before), "pool2d must not change its input"
for mode, expected in [("min", [[1, 2], [1, 0]]), ("avg", [[3.25, 5.25], [2.0, 2.0]])]:
    pooled = np.asarray(pool2d(fmap, mode=mode))
    assert pooled.shape == (2, 2, 1), "mode %r: expected shape (2, 2, 1), got %s" % (mode, pooled.shape)
    assert np.allclose(pooled[:, :, 0], expected), "mode %r should give %s; got\n%s" % (mode, expected, pooled[:, :, 0])

# Explicit strides: 3x3 windows moving 1 cell, so they overlap.
overlapping = np.asarray(pool2d(fmap, pool_size=3, strides=1))
assert overlapping.shape == (2, 2, 1), "3x3 windows with stride 1 on 4x4: (4 - 3) // 1 + 1 = 2; got %s" % (overlapping.shape,)
assert np.allclose(overlapping[:, :, 0], [[7, 8],
                                          [7, 8]]), "expected [[7, 8], [7, 8]]; got\n%s" % overlapping[:, :, 0]

# Each channel on its own: channel 1 is channel 0 negated.
two = np.zeros((2, 2, 2))
two[:, :, 0] = [[1, 2], [3, 4]]
two[:, :, 1] = [[-1, -2], [-3, -4]]
per_channel = np.asarray(pool2d(two))
assert per_channel.shape == (1, 1, 2), "a 2x2x2 input pooled 2x2 is (1, 1, 2); got %s" % (per_channel.shape,)
assert np.allclose(per_channel[0, 0], [4, -1]), "the max of each channel is 4 and -1; got %s" % (per_channel[0, 0],)

# "same" on a 3x3 map of negative values: 2 outputs per side, one padded row/column at the bottom/right.
# The windows hold {-1, -2, -4, -5}, {-3, -6}, {-7, -8} and {-9}.
negative = -np.arange(1.0, 10.0).reshape(3, 3, 1)      # [[-1, -2, -3], [-4, -5, -6], [-7, -8, -9]]
same_max = np.asarray(pool2d(negative, padding="same"))
assert same_max.shape == (2, 2, 1), '"same" gives ceil(3 / 2) = 2 per side; got %s' % (same_max.shape,)
assert np.allclose(same_max[:, :, 0], [[-1, -3],
                                       [-7, -9]]), (
    "expected [[-1, -3], [-7, -9]]; got\n%s\n(0s mean the zero padding won the max: padded cells must be "
    "ignored)" % same_max[:, :, 0])
same_avg = np.asarray(pool2d(negative, padding="same", mode="avg"))
assert np.allclose(same_avg[:, :, 0], [[-3, -4.5],
                                       [-7.5, -9]]), (
    "expected [[-12/4, -9/2], [-15/2, -9/1]] = [[-3, -4.5], [-7.5, -9]]; got\n%s\n"
    "(-2.25 means padded cells were counted in the average)" % same_avg[:, :, 0])

for kwargs, why in [({"mode": "median"}, 'mode must be "max", "min" or "avg"'),
                    ({"padding": "full"}, 'padding must be "valid" or "same"'),
                    ({"pool_size": 5}, 'a 5x5 window does not fit in a 4x4 input under "valid"')]:
    raised = False
    try:
        pool2d(fmap, **kwargs)
    except ValueError:
        raised = True
    assert raised, "pool2d(x, %s) should raise ValueError: %s" % (kwargs, why)
print("pool2d: visible tests passed")''',
    "correct": r'''if mode not in ["max", "min", "avg"]:
    raise ValueError("unknown mode")
if padding not in ["valid", "same"]:
    raise ValueError("unknown padding")
x = np.array(x, dtype=float)
H, W, C = x.shape
k = pool_size
if strides is None:
    s = pool_size
else:
    s = strides
if padding == "valid":
    if k > H or k > W:
        raise ValueError("window larger than the input")
    out_h = (H - k) // s + 1
    out_w = (W - k) // s + 1
    top, left = 0, 0
else:
    out_h = (H + s - 1) // s
    out_w = (W + s - 1) // s
    pad_h = max((out_h - 1) * s + k - H, 0)
    pad_w = max((out_w - 1) * s + k - W, 0)
    top, left = pad_h // 2, pad_w // 2
out = np.zeros((out_h, out_w, C))
for i in range(out_h):
    for j in range(out_w):
        # the window in x's own coordinates, cut to the real cells
        r0 = max(i * s - top, 0)
        r1 = min(i * s - top + k, H)
        c0 = max(j * s - left, 0)
        c1 = min(j * s - left + k, W)
        for c in range(C):
            window = x[r0:r1, c0:c1, c]
            if mode == "max":
                out[i, j, c] = window.max()
            elif mode == "min":
                out[i, j, c] = window.min()
            else:
                out[i, j, c] = window.mean()
return out''',
    # The typical mistake: strides=None taken as 1, so the windows overlap.
    "wrong": r'''if mode not in ["max", "min", "avg"]:
    raise ValueError("unknown mode")
if padding not in ["valid", "same"]:
    raise ValueError("unknown padding")
x = np.array(x, dtype=float)
H, W, C = x.shape
k = pool_size
if strides is None:
    s = 1
else:
    s = strides
if padding == "valid":
    if k > H or k > W:
        raise ValueError("window larger than the input")
    out_h = (H - k) // s + 1
    out_w = (W - k) // s + 1
    top, left = 0, 0
else:
    out_h = (H + s - 1) // s
    out_w = (W + s - 1) // s
    pad_h = max((out_h - 1) * s + k - H, 0)
    pad_w = max((out_w - 1) * s + k - W, 0)
    top, left = pad_h // 2, pad_w // 2
out = np.zeros((out_h, out_w, C))
for i in range(out_h):
    for j in range(out_w):
        # the window in x's own coordinates, cut to the real cells
        r0 = max(i * s - top, 0)
        r1 = min(i * s - top + k, H)
        c0 = max(j * s - left, 0)
        c1 = min(j * s - left + k, W)
        for c in range(C):
            window = x[r0:r1, c0:c1, c]
            if mode == "max":
                out[i, j, c] = window.max()
            elif mode == "min":
                out[i, j, c] = window.min()
            else:
                out[i, j, c] = window.mean()
return out''',
}

POOL_OUTPUT_SHAPE = {
    "name": "pool_output_shape",
    "signature": 'pool_output_shape(input_shape, pool_size=2, strides=None, padding="valid")',
    "points": 2,
    "text": r"""### Task 2: `pool_output_shape(input_shape, pool_size=2, strides=None, padding="valid")` (2 points)

The shape `keras.layers.MaxPooling2D(pool_size, strides, padding)` gives for
one `(H, W, C)` input (without the batch axis).

* `pool_size`, `strides`: an `int` or a pair `(along H, along W)`;
  `strides=None` means `pool_size`.
* `"valid"`: a side becomes $\lfloor (n - k)/s \rfloor + 1$; `"same"`: $\lceil n/s \rceil$.
  The channels are unchanged.
* Returns: `(H', W', C)`, a tuple (or list) of `int`s.
* Raises `ValueError` where Keras refuses: an output side below 1 (a window
  larger than the input under `"valid"`) or an unknown padding name.

Example: in the lecture's residual network, `MaxPooling2D(2, padding="same")`
turns `(32, 32, 32)` into `(16, 16, 32)`.
""",
    "solution": r'''def pool_output_shape(input_shape, pool_size=2, strides=None, padding="valid"):
    """The (H', W', C) output shape of keras.layers.MaxPooling2D for an (H, W, C) input.

    pool_size and strides are ints or (along H, along W) pairs; strides=None
    means pool_size. "valid": floor((n - k) / s) + 1; "same": ceil(n / s).

    Raises
    ------
    ValueError for an output side below 1 or an unknown padding name.
    """
    ### BEGIN SOLUTION
    def pair(value, name):
        values = tuple(value) if isinstance(value, (tuple, list)) else (value, value)
        if len(values) != 2 or any(v < 1 for v in values):
            raise ValueError("%s must be a positive int or a pair of them, got %r" % (name, value))
        return values

    if padding not in ("valid", "same"):
        raise ValueError('padding must be "valid" or "same", got %r' % (padding,))
    window = pair(pool_size, "pool_size")
    step = window if strides is None else pair(strides, "strides")
    sides = []
    for n, k, s in zip(input_shape[:2], window, step):
        side = (n - k) // s + 1 if padding == "valid" else -(-n // s)
        if side < 1:
            raise ValueError("a window of %d on a side of %d leaves no output" % (k, n))
        sides.append(int(side))
    return (sides[0], sides[1], int(input_shape[2]))
    ### END SOLUTION''',
    "tests": r'''for args, expected, why in [
        (((4, 4, 3),), (2, 2, 3), "pool 2 with the default strides (= 2) halves each side and keeps the 3 channels"),
        (((32, 32, 32), 2, None, "same"), (16, 16, 32), "the residual network's MaxPooling2D(2, padding=\"same\")"),
        (((5, 5, 1), 2, None, "same"), (3, 3, 1), "\"same\": ceil(5 / 2) = 3"),
        (((5, 5, 1), 2), (2, 2, 1), "\"valid\": (5 - 2) // 2 + 1 = 2, the last row and column are dropped"),
        (((7, 7, 2), 3, 2), (3, 3, 2), "pool 3, strides 2: (7 - 3) // 2 + 1 = 3"),
        (((12, 10, 3), (3, 2), (2, 3)), (5, 3, 3), "pool (3, 2), strides (2, 3): (12-3)//2+1 = 5 rows, (10-2)//3+1 = 3 columns")]:
    shape = pool_output_shape(*args)
    assert isinstance(shape, (tuple, list, np.ndarray)) and len(shape) == 3, (
        "pool_output_shape%s must return a tuple (H', W', C); got %r" % (args, shape))
    assert tuple(shape) == expected, "pool_output_shape%s should be %s (%s); got %r" % (args, expected, why, shape)
    assert all(isinstance(side, (int, np.integer)) for side in shape), (
        "pool_output_shape%s returned %r: every entry must be an int (use //, not /)" % (args, shape))

for args, why in [(((4, 4, 1), 2, None, "full"), 'the padding must be "valid" or "same"'),
                  (((2, 2, 1), 3), 'a 3x3 window does not fit in a 2x2 input under "valid"')]:
    raised = False
    try:
        pool_output_shape(*args)
    except ValueError:
        raised = True
    assert raised, "pool_output_shape%s should raise ValueError: %s" % (args, why)
print("pool_output_shape: visible tests passed")''',
    "correct": r'''if padding != "valid" and padding != "same":
    raise ValueError("padding must be valid or same")
if strides is None:
    strides = pool_size
if isinstance(pool_size, int):
    pool_size = (pool_size, pool_size)
if isinstance(strides, int):
    strides = (strides, strides)
H, W, C = input_shape
result = []
for n, k, s in [(H, pool_size[0], strides[0]), (W, pool_size[1], strides[1])]:
    if padding == "valid":
        size = (n - k) // s + 1
    else:
        size = (n + s - 1) // s
    if size < 1:
        raise ValueError("output would be empty")
    result.append(size)
return (result[0], result[1], C)''',
}

GLOBAL_POOLING = r"""## Global average pooling

Global average pooling is the extreme case: the window is the whole map. Each
channel collapses to one number, its mean, so an `(H, W, C)` stack of feature
maps becomes a vector of `C` values. The lecture's residual network does this
in `layers.GlobalAveragePooling2D()` right before its `Dense` output layer.
Compared with `Flatten`, it gives the classifier far fewer inputs, and the
result does not depend on where in the image a feature appeared.
"""

GLOBAL_AVERAGE_POOL = {
    "name": "global_average_pool",
    "signature": "global_average_pool(x)",
    "points": 2,
    "text": r"""### Task 3: `global_average_pool(x)` (2 points)

* `x`: `(H, W, C)`.
* Returns: shape `(C,)`, the mean of each channel over all `H x W`
  positions. This is what `keras.layers.GlobalAveragePooling2D` computes.
""",
    "solution": r'''def global_average_pool(x):
    """The mean of each channel of an (H, W, C) array, shape (C,)."""
    ### BEGIN SOLUTION
    x = np.asarray(x, dtype=float)
    if x.ndim != 3:
        raise ValueError("x must be (H, W, C), got shape %s" % (x.shape,))
    return x.mean(axis=(0, 1))
    ### END SOLUTION''',
    "tests": r'''stack = np.array([[[1, 10], [2, 20]],
                  [[3, 30], [4, 40]]], dtype=float)   # 2x2 map, channel 0 = 1..4, channel 1 = 10..40
means = np.asarray(global_average_pool(stack))
assert means.shape == (2,), "one number per channel: expected shape (2,), got %s" % (means.shape,)
assert np.allclose(means, [2.5, 25.0]), (
    "expected the channel means (1+2+3+4)/4 = 2.5 and 25; got %s (average over axes 0 and 1, not 2)" % (means,))

sevens = np.full((3, 4, 5), 7.0)
assert np.asarray(global_average_pool(sevens)).shape == (5,), "a (3, 4, 5) input gives shape (5,)"
assert np.allclose(global_average_pool(sevens), 7.0), "a map full of 7s has mean 7 in every channel"
print("global_average_pool: visible tests passed")''',
    "correct": r'''H, W, C = x.shape
result = np.zeros(C)
for c in range(C):
    result[c] = np.sum(x[:, :, c]) / (H * W)
return result''',
}

SCRATCH = r"""## Try it yourself (not graded)

For example, check that `pool2d` on a random map always has the shape
`pool_output_shape` predicts. Or compare max pooling of `x` with min pooling
of `-x`.
"""

CELLS = [
    {"id": "intro", "markdown": INTRO},
    {"id": "imports", "code": "import numpy as np"},
    {"id": "pooling", "markdown": POOLING},
    {"id": "same-padding-in-pooling", "markdown": SAME_POOLING},
    {"task": POOL2D},
    {"task": POOL_OUTPUT_SHAPE},
    {"id": "global-average-pooling", "markdown": GLOBAL_POOLING},
    {"task": GLOBAL_AVERAGE_POOL},
    {"id": "scratch-text", "markdown": SCRATCH},
    {"id": "scratch", "code": "# Your experiments here: this cell is not graded."},
]
