'''Content of notebook ex2: padding and strides.

Plain data, read by ``exercises/build_notebooks.py`` (see exercises/README.md):
CELLS lists the notebook's cells in order; a ``{"task": ...}`` entry becomes
three cells (description, solution, autograded tests). Rebuild with
``python exercises/build_notebooks.py`` after editing.
'''

EXERCISE = "ex2"
NUMPY_ONLY = True   # no code cell may import TensorFlow or Keras

INTRO = r"""# Exercise 2: padding and strides

In exercise 1 the filter visited every position where it fit, so the output
was always a little smaller than the input. Two settings of a convolution
change that. **Padding** adds zeros around the border. **Strides** make the
filter skip positions. In this exercise you compute the sizes they lead to,
and then a convolution that uses both.

| Task | Points |
|---|---|
| `conv_output_size` | 2 |
| `same_padding` | 1 |
| `zero_pad` | 2 |
| `conv2d_strided` | 3 |
| `conv_output_shape` | 2 |
| **Total** | **10** |

**How to work.** In every solution cell, delete the line
`raise NotImplementedError()` and write your code in its place. Then run the
test cell below it. Those tests try a few small cases worked out by hand; the
grading adds hidden cases. Use NumPy only. Do not import TensorFlow or Keras.

**Conventions**, the same as in exercise 1. Where a choice is needed, they
follow TensorFlow/Keras:

* An image is `(H, W, C)` (channels-last). Filters are `(kh, kw, C, F)` and a
  bias is `(F,)`. "Convolution" is cross-correlation, with no kernel flip.
* Sizes and paddings are whole numbers. Return a Python `int`, because a
  float such as `4.0` is marked wrong.
* The padding names are the lower-case strings `"valid"` and `"same"`, as in
  Keras. Their meaning is TensorFlow's, explained below.
* Never change an input in place. Raise `ValueError` for the invalid
  arguments each task lists.
"""

OUTPUT_SIZE = r"""## Output size

Take one side of the input, of length $n$. Add $p$ zeros at each end, which
makes it $n + 2p$ long. Slide a filter of width $f$ along it, moving $s$ cells
at a time (the *stride*). The filter's first position starts at cell 0. Its
later positions start at $s, 2s, \dots$, as long as the filter still fits,
i.e. while the start is at most $n + 2p - f$. That gives

$$n_\text{out} = \left\lfloor \frac{n + 2p - f}{s} \right\rfloor + 1$$

In Python that is `(n + 2 * p - f) // s + 1`.

Examples:

* The lecture's 6 x 6 image with a 3 x 3 filter, no padding, stride 1: `(6 - 3) // 1 + 1 = 4`.
* A 7-wide input, 3-wide filter, stride 2: positions 0, 2, 4, so `(7 - 3) // 2 + 1 = 3`.
* An 8-wide input, 3-wide filter, stride 2: positions 0, 2, 4 (position 6 would need cells 6 to 8), so
  `(8 - 3) // 2 + 1 = 3`.

Use `//`. With `/` you get `3.5` in the last example, and `4.0` in the first:
both are wrong, because a size is an integer.
"""

CONV_OUTPUT_SIZE = {
    "name": "conv_output_size",
    "signature": "conv_output_size(n, f, p=0, s=1)",
    "points": 2,
    "text": r"""### Task 1: `conv_output_size(n, f, p=0, s=1)` (2 points)

* `n`: the input's side; `f`: the filter's side; `p`: zeros added on **each**
  side; `s`: the stride. All are integers.
* Returns: the output's side `(n + 2p - f) // s + 1`, as an `int`.
* Raises `ValueError` if `s < 1`, `p < 0`, `f < 1`, or if the filter does not
  fit in the padded input (`f > n + 2p`).
""",
    "solution": r'''def conv_output_size(n, f, p=0, s=1):
    """Side of a convolution's output: (n + 2p - f) // s + 1.

    Parameters
    ----------
    n : input side.  f : filter side.  p : zeros on each side.  s : stride.

    Returns
    -------
    int.

    Raises
    ------
    ValueError if s < 1, p < 0, f < 1, or f > n + 2p.
    """
    ### BEGIN SOLUTION
    if s < 1:
        raise ValueError("the stride must be at least 1, got %r" % (s,))
    if p < 0:
        raise ValueError("the padding cannot be negative, got %r" % (p,))
    if f < 1:
        raise ValueError("the filter must be at least 1 wide, got %r" % (f,))
    if f > n + 2 * p:
        raise ValueError("a filter of %d does not fit in a padded input of %d" % (f, n + 2 * p))
    return (n + 2 * p - f) // s + 1
    ### END SOLUTION''',
    "tests": r'''for args, expected, why in [
        ((6, 3), 4, "the lecture's 6x6 image and 3x3 filter: (6 - 3) // 1 + 1 = 4"),
        ((5, 3, 1), 5, "padding 1 keeps a 5-wide input at 5 with a 3-wide filter: (5 + 2 - 3) // 1 + 1"),
        ((7, 3, 0, 2), 3, "stride 2 on 7 cells with a 3-wide filter: positions 0, 2, 4"),
        ((8, 3, 0, 2), 3, "stride 2 on 8 cells with a 3-wide filter: positions 0, 2, 4, i.e. (8 - 3) // 2 + 1"),
        ((4, 6, 1, 1), 1, "a 6-wide filter on 4 cells padded by 1 fits exactly once")]:
    size = conv_output_size(*args)
    assert isinstance(size, (int, np.integer)), (
        "conv_output_size%s must return an int, got %r (type %s): a size is a whole number, so use // "
        "(integer division), not /" % (args, size, type(size).__name__))
    assert size == expected, "conv_output_size%s should be %d (%s); got %r" % (args, expected, why, size)

for args, why in [((6, 3, 0, 0), "stride 0"), ((6, 3, -1, 1), "negative padding"),
                  ((6, 0, 0, 1), "a filter of size 0"), ((4, 7, 1, 1), "a 7-wide filter on 4 cells padded by 1")]:
    raised = False
    try:
        conv_output_size(*args)
    except ValueError:
        raised = True
    assert raised, "conv_output_size%s should raise ValueError: %s" % (args, why)
print("conv_output_size: visible tests passed")''',
    "correct": r'''if s < 1 or p < 0 or f < 1:
    raise ValueError("bad stride, padding or filter size")
if f > n + 2 * p:
    raise ValueError("the filter is larger than the padded input")
size = (n + 2 * p - f) // s + 1
return size''',
    # The typical mistake: true division, so the size comes back as a float (4.0, or 3.5).
    "wrong": r'''if s < 1 or p < 0 or f < 1:
    raise ValueError("bad stride, padding or filter size")
if f > n + 2 * p:
    raise ValueError("the filter is larger than the padded input")
size = (n + 2 * p - f) / s + 1
return size''',
}

PADDING = r"""## Padding

Without padding, every convolution shrinks the image by $f - 1$ along each
side. The pixels on the border are also covered by fewer filter positions than
the pixels in the middle. The fix is to surround the image with zeros before
filtering, as in the lecture's picture of an image framed by a ring of 0s.

How many zeros? At stride 1 the output side is $n + 2p - f + 1$. It equals
$n$ when

$$p = \frac{f - 1}{2}$$

so a 3 x 3 filter needs 1 zero on each side, and a 5 x 5 filter needs 2. This
works only for an **odd** $f$. For an even filter, $(f - 1)/2$ is not a whole
number, and no padding that is the same on both sides keeps the size. (That is
one reason filters are almost always odd: 1, 3, 5, 7.)

Only the two spatial axes are padded. The channels of an `(H, W, C)` image
keep their number.
"""

SAME_PADDING = {
    "name": "same_padding",
    "signature": "same_padding(f)",
    "points": 1,
    "text": r"""### Task 2: `same_padding(f)` (1 point)

* `f`: the filter's side, an odd integer `>= 1`.
* Returns: the zeros to add on each side so that a stride-1 convolution keeps
  the size, `(f - 1) // 2`, as an `int`.
* Raises `ValueError` for an even `f` (no symmetric padding exists) or `f < 1`.
""",
    "solution": r'''def same_padding(f):
    """Zeros on each side that keep the size at stride 1: (f - 1) // 2, for an odd f.

    Raises
    ------
    ValueError if f is even or f < 1.
    """
    ### BEGIN SOLUTION
    if f < 1:
        raise ValueError("the filter must be at least 1 wide, got %r" % (f,))
    if f % 2 == 0:
        raise ValueError("no symmetric padding keeps the size for an even filter (f = %r)" % (f,))
    return (f - 1) // 2
    ### END SOLUTION''',
    "tests": r'''for f, expected in [(3, 1), (5, 2), (1, 0)]:
    p = same_padding(f)
    assert isinstance(p, (int, np.integer)), (
        "same_padding(%d) must return an int, got %r (type %s): use //, not /" % (f, p, type(p).__name__))
    assert p == expected, "same_padding(%d) should be (%d - 1) // 2 = %d; got %r" % (f, f, expected, p)

for f, why in [(4, "an even filter has no symmetric padding"), (0, "a filter is at least 1 wide")]:
    raised = False
    try:
        same_padding(f)
    except ValueError:
        raised = True
    assert raised, "same_padding(%d) should raise ValueError: %s" % (f, why)
print("same_padding: visible tests passed")''',
    "correct": r'''if f < 1 or f % 2 == 0:
    raise ValueError("f must be odd and at least 1")
return (f - 1) // 2''',
}

ZERO_PAD = {
    "name": "zero_pad",
    "signature": "zero_pad(x, p)",
    "points": 2,
    "text": r"""### Task 3: `zero_pad(x, p)` (2 points)

* `x`: an image `(H, W, C)`; `p`: an integer `>= 0`.
* Returns: `x` with `p` rows of zeros added above and below and `p` columns
  added left and right, shape `(H + 2p, W + 2p, C)`. The channel axis is not
  padded. With `p = 0` the result equals `x`.
* Raises `ValueError` for `p < 0`.

`np.pad` can do this in one call. Look at how its `pad_width` argument
takes one `(before, after)` pair per axis.
""",
    "solution": r'''def zero_pad(x, p):
    """Add p zeros on each side of the two spatial axes of an (H, W, C) image.

    Returns
    -------
    array (H + 2p, W + 2p, C); the channels are not padded.

    Raises
    ------
    ValueError if p < 0.
    """
    ### BEGIN SOLUTION
    if p < 0:
        raise ValueError("the padding cannot be negative, got %r" % (p,))
    x = np.asarray(x)
    if x.ndim != 3:
        raise ValueError("x must be (H, W, C), got shape %s" % (x.shape,))
    return np.pad(x, ((p, p), (p, p), (0, 0)))
    ### END SOLUTION''',
    "tests": r'''small = np.array([[1.0, 2.0],
                  [3.0, 4.0]])[:, :, None]          # a 2x2 image with 1 channel
small_before = small.copy()
framed = np.asarray(zero_pad(small, 1))
assert framed.shape == (4, 4, 1), "a 2x2x1 image padded by 1 is 4x4x1; got %s" % (framed.shape,)
assert np.array_equal(framed[:, :, 0], [[0, 0, 0, 0],
                                        [0, 1, 2, 0],
                                        [0, 3, 4, 0],
                                        [0, 0, 0, 0]]), "expected the image framed by one ring of zeros; got\n%s" % framed[:, :, 0]
assert np.array_equal(small, small_before), "zero_pad must not change its input"

rgb = np.ones((2, 3, 3))
padded = np.asarray(zero_pad(rgb, 2))
assert padded.shape == (6, 7, 3), (
    "a 2x3x3 image padded by 2 is (2+4, 3+4, 3) = (6, 7, 3): the channels are not padded; got %s" % (padded.shape,))
assert np.array_equal(padded[2:4, 2:5, :], rgb) and padded.sum() == rgb.sum(), (
    "the image must sit in the middle, surrounded by zeros only")
assert np.array_equal(zero_pad(rgb, 0), rgb), "p = 0 must return an equal array"

raised = False
try:
    zero_pad(small, -1)
except ValueError:
    raised = True
assert raised, "zero_pad(x, -1) should raise ValueError: padding cannot be negative"
print("zero_pad: visible tests passed")''',
    "correct": r'''if p < 0:
    raise ValueError("p must be >= 0")
H, W, C = x.shape
out = np.zeros((H + 2 * p, W + 2 * p, C))
out[p:p + H, p:p + W, :] = x
return out''',
}

STRIDES = r"""## Strides and "same" padding

**Strides.** The filter does not have to visit every cell. With stride $s$ it
jumps $s$ cells at a time, so output cell `(i, j)` reads the window whose
top-left corner is at `(i * s, j * s)` of the (padded) input. In the
lecture's picture, passing over every other cell leaves four positions,
numbered 1 to 4. Stride 2 roughly halves each side of the output.

**Padding by name.** Keras' `Conv2D` and TensorFlow's `tf.nn.conv2d` do not
take a number of zeros. They take a name:

* `"valid"`: no padding at all. The output side is $\lfloor (n - f)/s \rfloor + 1$.
* `"same"`: TensorFlow pads just enough that the output side is
  $\lceil n / s \rceil$. At stride 1 this is the input's size, which is where
  the name comes from.

For `"same"`, the total padding along an axis is

$$p_\text{total} = \max\big((\lceil n/s \rceil - 1)\cdot s + f - n,\ 0\big)$$

Of it, `p_total // 2` goes on top (or left) and the rest at the bottom (or
right). **When the total is odd, the extra row goes to the bottom and the
extra column to the right.**

Example: $n = 6$, $f = 3$, $s = 2$ gives $\lceil 6/2 \rceil = 3$ outputs and
$p_\text{total} = (3 - 1)\cdot 2 + 3 - 6 = 1$. That means 0 rows on top and
1 at the bottom. At stride 1 with an odd $f$, $p_\text{total} = f - 1$ is even
and both sides get `same_padding(f)`.

Ceiling division of integers without floats: `-(-n // s)`, or `(n + s - 1) // s`.
"""

CONV2D_STRIDED = {
    "name": "conv2d_strided",
    "signature": 'conv2d_strided(x, filters, bias, stride=1, padding=0)',
    "points": 3,
    "text": r"""### Task 4: `conv2d_strided(x, filters, bias, stride=1, padding=0)` (3 points)

* `x`: `(H, W, C)`; `filters`: `(kh, kw, C, F)`; `bias`: `(F,)`, exactly as in
  exercise 1's `conv2d`.
* `stride`: an integer `>= 1`, the same along both axes.
* `padding`: either an integer `>= 0` (that many zeros on every side), or
  `"valid"` / `"same"` with TensorFlow's rules above (extra pixel bottom/right).
* Returns: `(H', W', F)`, output channel `f` at `(i, j)` being the sum of the
  window at `(i * stride, j * stride)` of the padded input times
  `filters[:, :, :, f]`, plus `bias[f]`. This equals `tf.nn.conv2d` with the
  same stride and padding, plus the bias.
* Raises `ValueError` for a bad `stride` (below 1) or a bad `padding` (a
  negative number, or a name other than `"valid"` and `"same"`, e.g. `"SAME"`).

You may copy your `conv2d` from exercise 1 and extend it, or use `zero_pad`
from above.
""",
    "solution": r'''def conv2d_strided(x, filters, bias, stride=1, padding=0):
    """conv2d with a stride and zero padding, like tf.nn.conv2d plus bias.

    Parameters
    ----------
    x : array (H, W, C).  filters : array (kh, kw, C, F).  bias : array (F,).
    stride : int >= 1, along both axes.
    padding : int >= 0 (zeros on every side), "valid" (none) or "same"
        (TensorFlow: ceil(n / stride) outputs, extra pixel bottom/right).

    Returns
    -------
    array (H', W', F).

    Raises
    ------
    ValueError for a bad stride or padding, mismatched channels or bias length.
    """
    ### BEGIN SOLUTION
    x = np.asarray(x, dtype=float)
    filters = np.asarray(filters, dtype=float)
    bias = np.asarray(bias, dtype=float)
    if x.ndim != 3 or filters.ndim != 4 or bias.ndim != 1:
        raise ValueError("expected x (H, W, C), filters (kh, kw, C, F) and bias (F,)")
    h, w, channels = x.shape
    kh, kw, filter_channels, count = filters.shape
    if filter_channels != channels:
        raise ValueError("x has %d channels but the filters expect %d" % (channels, filter_channels))
    if bias.shape[0] != count:
        raise ValueError("bias has %d values for %d filters" % (bias.shape[0], count))
    if isinstance(stride, bool) or not isinstance(stride, (int, np.integer)) or stride < 1:
        raise ValueError("the stride must be an integer >= 1, got %r" % (stride,))

    if isinstance(padding, str):
        if padding == "valid":
            pads = [(0, 0), (0, 0)]
        elif padding == "same":
            pads = []
            for n, k in ((h, kh), (w, kw)):
                out_n = -(-n // stride)                      # ceil(n / stride)
                total = max((out_n - 1) * stride + k - n, 0)
                pads.append((total // 2, total - total // 2))  # the extra pixel goes after
        else:
            raise ValueError('padding must be an int, "valid" or "same", got %r' % (padding,))
    elif isinstance(padding, (int, np.integer)) and not isinstance(padding, bool) and padding >= 0:
        pads = [(padding, padding), (padding, padding)]
    else:
        raise ValueError('padding must be an int >= 0, "valid" or "same", got %r' % (padding,))

    x = np.pad(x, (pads[0], pads[1], (0, 0)))
    if kh > x.shape[0] or kw > x.shape[1]:
        raise ValueError("the kernel does not fit in the padded input")
    out_h = (x.shape[0] - kh) // stride + 1
    out_w = (x.shape[1] - kw) // stride + 1
    out = np.zeros((out_h, out_w, count))
    for a in range(kh):
        for b in range(kw):
            # rows a, a + stride, ..., a + (out_h - 1) * stride meet kernel row a
            rows = slice(a, a + (out_h - 1) * stride + 1, stride)
            cols = slice(b, b + (out_w - 1) * stride + 1, stride)
            out += x[rows, cols, :] @ filters[a, b]
    return out + bias
    ### END SOLUTION''',
    "tests": r'''# All-ones images and all-ones 3x3 filters: each output counts the real (unpadded)
# pixels under the filter, so the expected values can be read off a sketch.
ones_filter = np.ones((3, 3, 1, 1))
no_bias = np.zeros(1)

# 5x5, padding 1, stride 2: windows start at padded rows 0, 2, 4 and cover 2, 3, 2 real rows.
counts = np.asarray(conv2d_strided(np.ones((5, 5, 1)), ones_filter, no_bias, stride=2, padding=1))
assert counts.shape == (3, 3, 1), "5x5 padded by 1 with stride 2: (5 + 2 - 3) // 2 + 1 = 3; got shape %s" % (counts.shape,)
assert np.allclose(counts[:, :, 0], [[4, 6, 4],
                                     [6, 9, 6],
                                     [4, 6, 4]]), "expected [[4, 6, 4], [6, 9, 6], [4, 6, 4]]; got\n%s" % counts[:, :, 0]

# 6x6, "same", stride 2: 3 outputs per side; total padding 1, all of it at the bottom/right.
# Window rows 0-2 and 2-4 are real; rows 4-6 hold 2 real rows and 1 of padding.
same_counts = np.asarray(conv2d_strided(np.ones((6, 6, 1)), ones_filter, np.array([0.5]), stride=2, padding="same"))
assert same_counts.shape == (3, 3, 1), '"same" with stride 2 gives ceil(6 / 2) = 3 per side; got %s' % (same_counts.shape,)
assert np.allclose(same_counts[:, :, 0], [[9.5, 9.5, 6.5],
                                          [9.5, 9.5, 6.5],
                                          [6.5, 6.5, 4.5]]), (
    "expected [[9.5, 9.5, 6.5], [9.5, 9.5, 6.5], [6.5, 6.5, 4.5]] (counts plus bias 0.5); got\n%s\n"
    "(a 4.5 in the top-left corner means the extra row/column of padding went to the top/left: "
    "TensorFlow puts it at the bottom/right)" % same_counts[:, :, 0])

# 5x5, "same", stride 1 keeps the size; total padding 2 = 1 on each side.
kept = np.asarray(conv2d_strided(np.ones((5, 5, 1)), ones_filter, no_bias, padding="same"))
assert kept.shape == (5, 5, 1), '"same" at stride 1 keeps the 5x5 size; got %s' % (kept.shape,)
assert np.allclose(kept[:, :, 0], [[4, 6, 6, 6, 4],
                                   [6, 9, 9, 9, 6],
                                   [6, 9, 9, 9, 6],
                                   [6, 9, 9, 9, 6],
                                   [4, 6, 6, 6, 4]]), "expected 4 in the corners, 6 on the edges, 9 inside; got\n%s" % kept[:, :, 0]

# "valid", stride 3, a filter that picks the top-left pixel of its window: out[i, j] = x[3i, 3j].
numbered = np.arange(49.0).reshape(7, 7, 1)            # numbered[r, c] = 7 * r + c
corner = np.zeros((3, 3, 1, 1))
corner[0, 0, 0, 0] = 1.0
numbered_before = numbered.copy()
picked = np.asarray(conv2d_strided(numbered, corner, no_bias, stride=3, padding="valid"))
assert picked.shape == (2, 2, 1), '7x7, 3x3 filter, stride 3, "valid": (7 - 3) // 3 + 1 = 2; got %s' % (picked.shape,)
assert np.allclose(picked[:, :, 0], [[0, 3],
                                     [21, 24]]), (
    "expected the pixels at rows/columns 0 and 3: [[0, 3], [21, 24]]; got\n%s" % picked[:, :, 0])
assert np.array_equal(numbered, numbered_before), "conv2d_strided must not change its input"

for kwargs, why in [({"stride": 0}, "stride 0"), ({"padding": "SAME"}, 'only lower-case "valid" and "same" are names'),
                    ({"padding": -1}, "negative padding")]:
    raised = False
    try:
        conv2d_strided(np.ones((6, 6, 1)), ones_filter, no_bias, **kwargs)
    except ValueError:
        raised = True
    assert raised, "conv2d_strided(..., %s) should raise ValueError: %s" % (kwargs, why)
print("conv2d_strided: visible tests passed")''',
    "correct": r'''x = np.array(x, dtype=float)
filters = np.array(filters, dtype=float)
H, W, C = x.shape
kh, kw, C2, F = filters.shape
if C2 != C or len(bias) != F:
    raise ValueError("shapes do not match")
if stride < 1:
    raise ValueError("stride must be >= 1")
if padding == "valid":
    top, bottom, left, right = 0, 0, 0, 0
elif padding == "same":
    out_h = (H + stride - 1) // stride
    out_w = (W + stride - 1) // stride
    pad_h = max((out_h - 1) * stride + kh - H, 0)
    pad_w = max((out_w - 1) * stride + kw - W, 0)
    top = pad_h // 2
    bottom = pad_h - top
    left = pad_w // 2
    right = pad_w - left
elif isinstance(padding, int) and padding >= 0:
    top, bottom, left, right = padding, padding, padding, padding
else:
    raise ValueError("bad padding")
xp = np.zeros((H + top + bottom, W + left + right, C))
xp[top:top + H, left:left + W, :] = x
out_h = (xp.shape[0] - kh) // stride + 1
out_w = (xp.shape[1] - kw) // stride + 1
out = np.zeros((out_h, out_w, F))
for f in range(F):
    for i in range(out_h):
        for j in range(out_w):
            window = xp[i * stride:i * stride + kh, j * stride:j * stride + kw, :]
            out[i, j, f] = np.sum(window * filters[:, :, :, f]) + bias[f]
return out''',
    # The typical mistake: an odd "same" padding split with the extra pixel on top/left.
    "wrong": r'''x = np.array(x, dtype=float)
filters = np.array(filters, dtype=float)
H, W, C = x.shape
kh, kw, C2, F = filters.shape
if C2 != C or len(bias) != F:
    raise ValueError("shapes do not match")
if stride < 1:
    raise ValueError("stride must be >= 1")
if padding == "valid":
    top, bottom, left, right = 0, 0, 0, 0
elif padding == "same":
    out_h = (H + stride - 1) // stride
    out_w = (W + stride - 1) // stride
    pad_h = max((out_h - 1) * stride + kh - H, 0)
    pad_w = max((out_w - 1) * stride + kw - W, 0)
    bottom = pad_h // 2
    top = pad_h - bottom
    right = pad_w // 2
    left = pad_w - right
elif isinstance(padding, int) and padding >= 0:
    top, bottom, left, right = padding, padding, padding, padding
else:
    raise ValueError("bad padding")
xp = np.zeros((H + top + bottom, W + left + right, C))
xp[top:top + H, left:left + W, :] = x
out_h = (xp.shape[0] - kh) // stride + 1
out_w = (xp.shape[1] - kw) // stride + 1
out = np.zeros((out_h, out_w, F))
for f in range(F):
    for i in range(out_h):
        for j in range(out_w):
            window = xp[i * stride:i * stride + kh, j * stride:j * stride + kw, :]
            out[i, j, f] = np.sum(window * filters[:, :, :, f]) + bias[f]
return out''',
}

CONV_OUTPUT_SHAPE = {
    "name": "conv_output_shape",
    "signature": 'conv_output_shape(input_shape, filters, kernel_size, strides=1, padding="valid")',
    "points": 2,
    "text": r"""### Task 5: `conv_output_shape(input_shape, filters, kernel_size, strides=1, padding="valid")` (2 points)

The shape that `keras.layers.Conv2D(filters, kernel_size, strides=strides, padding=padding)`
produces for one `(H, W, C)` input (without the batch axis). This is what
`model.summary()` lists for the layer.

* `input_shape`: `(H, W, C)`; `filters`: the number of filters, which becomes
  the number of output channels.
* `kernel_size`, `strides`: an `int` (the same along both axes) or a pair
  `(along H, along W)`, as in Keras.
* `padding`: `"valid"`, where a side becomes $\lfloor (n - k)/s \rfloor + 1$,
  or `"same"`, where it becomes $\lceil n/s \rceil$.
* Returns: `(H', W', filters)`, a tuple (or list) of `int`s.
* Raises `ValueError` where Keras refuses: an output side below 1 (e.g. a
  kernel larger than the input under `"valid"`) or an unknown padding name.

Example: the first convolution of the lecture's residual network,
`Conv2D(32, 3, padding="same")` on `(32, 32, 3)`, gives `(32, 32, 32)`.
""",
    "solution": r'''def conv_output_shape(input_shape, filters, kernel_size, strides=1, padding="valid"):
    """The (H', W', filters) output shape of keras.layers.Conv2D for an (H, W, C) input.

    kernel_size and strides are ints or (along H, along W) pairs; padding is
    "valid" (floor((n - k) / s) + 1) or "same" (ceil(n / s)).

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
    kernel, step = pair(kernel_size, "kernel_size"), pair(strides, "strides")
    sides = []
    for n, k, s in zip(input_shape[:2], kernel, step):
        side = (n - k) // s + 1 if padding == "valid" else -(-n // s)
        if side < 1:
            raise ValueError("a kernel of %d on a side of %d leaves no output" % (k, n))
        sides.append(int(side))
    return (sides[0], sides[1], int(filters))
    ### END SOLUTION''',
    "tests": r'''for args, expected, why in [
        (((32, 32, 3), 16, 3), (30, 30, 16), "a 3x3 kernel, \"valid\": 32 - 3 + 1 = 30; 16 filters -> 16 channels"),
        (((32, 32, 3), 32, 3, 1, "same"), (32, 32, 32), "the residual network's first Conv2D keeps 32x32"),
        (((32, 32, 3), 8, 3, 2, "same"), (16, 16, 8), "\"same\" with stride 2: ceil(32 / 2) = 16"),
        (((7, 7, 3), 2, 3, 2, "same"), (4, 4, 2), "\"same\" with stride 2: ceil(7 / 2) = 4"),
        (((9, 9, 1), 4, (3, 5), (2, 1)), (4, 5, 4), "kernel (3, 5), strides (2, 1): (9-3)//2+1 = 4 rows, (9-5)//1+1 = 5 columns")]:
    shape = conv_output_shape(*args)
    assert isinstance(shape, (tuple, list, np.ndarray)) and len(shape) == 3, (
        "conv_output_shape%s must return a tuple (H', W', filters); got %r" % (args, shape))
    assert tuple(shape) == expected, "conv_output_shape%s should be %s (%s); got %r" % (args, expected, why, shape)
    assert all(isinstance(side, (int, np.integer)) for side in shape), (
        "conv_output_shape%s returned %r: every entry must be an int (use //, not /)" % (args, shape))

for args, why in [(((8, 8, 3), 4, 3, 1, "full"), 'the padding must be "valid" or "same"'),
                  (((4, 4, 1), 2, 5), 'a 5x5 kernel does not fit in a 4x4 input under "valid"')]:
    raised = False
    try:
        conv_output_shape(*args)
    except ValueError:
        raised = True
    assert raised, "conv_output_shape%s should raise ValueError: %s" % (args, why)
print("conv_output_shape: visible tests passed")''',
    "correct": r'''if padding != "valid" and padding != "same":
    raise ValueError("padding must be valid or same")
if isinstance(kernel_size, int):
    kernel_size = (kernel_size, kernel_size)
if isinstance(strides, int):
    strides = (strides, strides)
H, W, C = input_shape
result = []
for n, k, s in [(H, kernel_size[0], strides[0]), (W, kernel_size[1], strides[1])]:
    if padding == "valid":
        size = (n - k) // s + 1
    else:
        size = (n + s - 1) // s
    if size < 1:
        raise ValueError("output would be empty")
    result.append(size)
return (result[0], result[1], filters)''',
}

SCRATCH = r"""## Try it yourself (not graded)

For example, check `conv2d_strided` against `conv_output_shape`: for a few
input sizes, strides and both padding names, the shape of the one should be
the other's answer.
"""

CELLS = [
    {"id": "intro", "markdown": INTRO},
    {"id": "imports", "code": "import numpy as np"},
    {"id": "output-size", "markdown": OUTPUT_SIZE},
    {"task": CONV_OUTPUT_SIZE},
    {"id": "padding", "markdown": PADDING},
    {"task": SAME_PADDING},
    {"task": ZERO_PAD},
    {"id": "strides-and-same-padding", "markdown": STRIDES},
    {"task": CONV2D_STRIDED},
    {"task": CONV_OUTPUT_SHAPE},
    {"id": "scratch-text", "markdown": SCRATCH},
    {"id": "scratch", "code": "# Your experiments here: this cell is not graded."},
]
