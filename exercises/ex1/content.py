'''Content of notebook ex1: images are numbers; the convolution operation.

Plain data, read by ``exercises/build_notebooks.py`` (see exercises/README.md):
CELLS lists the notebook's cells in order; a ``{"task": ...}`` entry becomes
three cells (description, solution, autograded tests). Rebuild with
``python exercises/build_notebooks.py`` after editing.
'''

EXERCISE = "ex1"
NUMPY_ONLY = True   # no code cell may import TensorFlow or Keras

INTRO = r"""# Exercise 1: images are numbers, and the convolution operation

A convolutional network never sees a picture, only a grid of numbers. In this
exercise you compute, with plain NumPy, what the first layer of such a network
does to that grid: slide a small filter over it and record how strongly each
patch matches the filter.

| Task | Points |
|---|---|
| `to_unit_range` | 2 |
| `conv2d_single` | 4 |
| `conv2d` | 4 |
| **Total** | **10** |

**How to work.** In every solution cell, delete the line
`raise NotImplementedError()` and write your code in its place. Then run the
test cell below it. Those tests only try a few small cases worked out by hand.
When you are graded, more cases are hidden behind them: other sizes,
non-square kernels and invalid arguments. Use NumPy only. Do not import
TensorFlow, Keras or SciPy.

**Conventions.** Where these exercises could go either way, they follow
TensorFlow/Keras:

* Layout is *channels-last*. An image is an array of shape `(H, W, C)`
  (height, width, channels). A bank of filters has shape
  `(kh, kw, C_in, C_out)`, the shape in which `keras.layers.Conv2D` stores its
  kernel. A bias has shape `(C_out,)`.
* "Convolution" means what deep-learning frameworks compute, which is
  cross-correlation: the filter is **not** flipped, just as in
  `tf.nn.conv2d`.
* You may return any array-like of numbers (an ndarray is simplest). Shapes
  must be exactly right. Values are compared with a relative tolerance of
  about `1e-4`.
* Never change an input array in place. Raise `ValueError` for the invalid
  arguments each task lists.
"""

IMAGES_ARE_NUMBERS = r"""## Images are numbers

To a computer, a grayscale image is a 2-D array with one number per pixel:
its brightness, an integer from 0 (black) to 255 (white), usually stored as
`uint8`. A colour image has a third axis holding the red, green and blue
intensities of each pixel. A 1080 x 1080 colour photo is therefore an array of
shape `(1080, 1080, 3)`: over three million numbers in $[0, 255]$.

Networks train better on small input values, so the first step is usually to divide
every pixel by 255. The residual network in the lecture does this with
`layers.Rescaling(1./255)` right after its `Input`.
"""

TO_UNIT_RANGE = {
    "name": "to_unit_range",
    "signature": "to_unit_range(image)",
    "points": 2,
    "text": r"""### Task 1: `to_unit_range(image)` (2 points)

* `image`: a `uint8` array of **any shape** (a grayscale `(H, W)` image, a
  colour `(H, W, C)` image, a batch, ...) with values in $[0, 255]$.
* Returns: an array of the **same shape**, dtype **`float32`**, holding
  `image / 255`, so 0 stays 0, 255 becomes 1 and 51 becomes 0.2.

Watch the dtype. In NumPy, `uint8_array / 255` gives `float64`, and a
`float64` result fails. Keras layers work in `float32`.
""",
    "solution": r'''def to_unit_range(image):
    """Scale pixel values from [0, 255] to [0, 1], like Rescaling(1./255).

    Parameters
    ----------
    image : uint8 array of any shape, values in [0, 255].

    Returns
    -------
    float32 array of the same shape: image / 255.
    """
    ### BEGIN SOLUTION
    return (np.asarray(image) / 255.0).astype(np.float32)
    ### END SOLUTION''',
    "tests": r'''pixels = np.array([[0, 51, 102],
                   [153, 204, 255]], dtype=np.uint8)
pixels_before = pixels.copy()
scaled = np.asarray(to_unit_range(pixels))
assert scaled.shape == (2, 3), "the result must keep the input's shape (2, 3); got %s" % (scaled.shape,)
assert scaled.dtype == np.float32, (
    "the result must be float32, got %s: convert it, e.g. with .astype(np.float32)" % scaled.dtype)
assert np.allclose(scaled, [[0.0, 0.2, 0.4],
                            [0.6, 0.8, 1.0]]), (
    "every pixel must be divided by 255 (0 -> 0, 51 -> 0.2, 255 -> 1); got\n%s" % scaled)
assert np.array_equal(pixels, pixels_before), "to_unit_range must not change its input"

# A white 2x2 colour image: shape (2, 2, 3), every value 255.
white = np.full((2, 2, 3), 255, dtype=np.uint8)
scaled_white = np.asarray(to_unit_range(white))
assert scaled_white.shape == (2, 2, 3), "a (2, 2, 3) image must stay (2, 2, 3); got %s" % (scaled_white.shape,)
assert np.allclose(scaled_white, 1.0), "255 must become 1.0 in every channel"
print("to_unit_range: visible tests passed")''',
    "correct": r'''result = image.astype(np.float32)
result = result / 255
return result''',
}

CONVOLUTION = r"""## The convolution operation

A convolutional layer looks at an image through a small window. The
**filter** (or *kernel*) is a little grid of weights, for example 3 x 3. It is
placed on every possible position of the image. At each position, the pixels
under it are multiplied by the filter's weights, cell by cell, and the
products are added up. That sum becomes one cell of the output, the
**feature map**:

$$\text{out}[i, j] = \sum_{a=0}^{k_h-1} \sum_{b=0}^{k_w-1} \text{image}[i+a,\ j+b]\cdot \text{kernel}[a, b]$$

or, in NumPy, `out[i, j] = np.sum(image[i:i+kh, j:j+kw] * kernel)`.

The filter is used exactly as it is written. Mathematicians would rotate it
by 180 degrees first (a "true" convolution, as in `scipy.signal.convolve2d`),
but TensorFlow, PyTorch and the other deep-learning libraries skip that step.
Strictly speaking, they compute a *cross-correlation*. So do these exercises.

**Output size.** Along a side of length $n$, a filter of width $f$ fits at
positions $0, 1, \dots, n - f$, which is $n - f + 1$ positions. An `(H, W)`
image and a `(kh, kw)` kernel therefore give an `(H - kh + 1, W - kw + 1)`
feature map.

**The lecture's example.** A 6 x 6 image is bright (10) in its left three
columns and dark (0) in its right three. The filter
`[[1, 0, -1], [1, 0, -1], [1, 0, -1]]` adds up the left column of its window
and subtracts the right column:

* window over columns 0-2 (all 10): each row gives 10 + 0 - 10 = 0, so the sum is 0;
* window over columns 1-3: each row gives 10 + 0 - 0 = 10, so the sum is 30;
* window over columns 2-4: each row gives 10 + 0 - 0 = 10, so the sum is 30;
* window over columns 3-5 (all 0): the sum is 0.

Each of the 4 window rows gives the same values, so the 4 x 4 feature map has
columns 0, 30, 30, 0. It lights up exactly where the brightness drops from left
to right: this filter detects vertical edges. In a CNN nobody designs such
filters by hand. Their weights are learned by backpropagation, and each filter
of a layer learns to respond to a different feature.
"""

CONV2D_SINGLE = {
    "name": "conv2d_single",
    "signature": "conv2d_single(image, kernel)",
    "points": 4,
    "text": r"""### Task 2: `conv2d_single(image, kernel)` (4 points)

* `image`: a 2-D array `(H, W)`; `kernel`: a 2-D array `(kh, kw)`. The kernel
  is not necessarily square.
* Stride 1, no padding, no kernel flip.
* Returns: the feature map, shape `(H - kh + 1, W - kw + 1)`, with
  `out[i, j] = sum(image[i:i+kh, j:j+kw] * kernel)`.
* Raises `ValueError` if either argument is not 2-D, or if the kernel is
  larger than the image in either dimension (it would not fit anywhere).

Start with two nested loops over the output positions. A faster version is
optional.
""",
    "solution": r'''def conv2d_single(image, kernel):
    """Cross-correlate a 2-D image with a 2-D kernel (stride 1, no padding).

    Parameters
    ----------
    image : array (H, W).
    kernel : array (kh, kw), not necessarily square; used as is (no flip).

    Returns
    -------
    array (H - kh + 1, W - kw + 1) with out[i, j] = sum(image[i:i+kh, j:j+kw] * kernel).

    Raises
    ------
    ValueError if image or kernel is not 2-D, or the kernel is larger than the image.
    """
    ### BEGIN SOLUTION
    image = np.asarray(image, dtype=float)
    kernel = np.asarray(kernel, dtype=float)
    if image.ndim != 2 or kernel.ndim != 2:
        raise ValueError("image and kernel must be 2-D, got shapes %s and %s" % (image.shape, kernel.shape))
    (h, w), (kh, kw) = image.shape, kernel.shape
    if kh < 1 or kw < 1 or kh > h or kw > w:
        raise ValueError("a %dx%d kernel does not fit in a %dx%d image" % (kh, kw, h, w))
    out_h, out_w = h - kh + 1, w - kw + 1
    out = np.zeros((out_h, out_w))
    # Loop over the kernel's cells instead of the output's: kernel[a, b]
    # multiplies image[i + a, j + b] for every output cell (i, j) at once.
    for a in range(kh):
        for b in range(kw):
            out += kernel[a, b] * image[a:a + out_h, b:b + out_w]
    return out
    ### END SOLUTION''',
    "tests": r'''# The lecture's example: bright (10) on the left, dark (0) on the right.
edge_image = np.array([[10, 10, 10, 0, 0, 0]] * 6, dtype=float)
edge_kernel = np.array([[1, 0, -1],
                        [1, 0, -1],
                        [1, 0, -1]], dtype=float)
edge_image_before = edge_image.copy()
edge_map = np.asarray(conv2d_single(edge_image, edge_kernel))
assert edge_map.shape == (4, 4), (
    "a 3x3 kernel fits 6 - 3 + 1 = 4 times along each side of a 6x6 image; got shape %s" % (edge_map.shape,))
assert np.allclose(edge_map, [[0, 30, 30, 0]] * 4), (
    "the lecture's edge example gives 30 in the two middle columns and 0 in the outer ones; got\n%s\n"
    "(-30 instead of 30 means the kernel was flipped: use it as it is)" % edge_map)
assert np.array_equal(edge_image, edge_image_before), "conv2d_single must not change its input"

# A non-square 2x3 kernel that is not symmetric, so a flipped kernel shows:
# out[i, j] = 1 * grid[i, j] + 2 * grid[i + 1, j + 2].
grid = np.array([[0, 1, 2, 3],
                 [4, 5, 6, 7],
                 [8, 9, 10, 11]], dtype=float)
picker = np.array([[1, 0, 0],
                   [0, 0, 2]], dtype=float)
picked = np.asarray(conv2d_single(grid, picker))
assert picked.shape == (2, 2), "a 3x4 image and a 2x3 kernel give (3-2+1, 4-3+1) = (2, 2); got %s" % (picked.shape,)
assert np.allclose(picked, [[12, 15],
                            [24, 27]]), (
    "expected [[0 + 2*6, 1 + 2*7], [4 + 2*10, 5 + 2*11]] = [[12, 15], [24, 27]]; got\n%s\n"
    "([[6, 9], [18, 21]] means the kernel was flipped)" % picked)

for bad_image, bad_kernel, why in [
        (np.ones((2, 2)), np.ones((3, 3)), "a 3x3 kernel does not fit in a 2x2 image"),
        (np.ones((5, 2)), np.ones((1, 3)), "a 1x3 kernel is wider than a 5x2 image"),
        (np.ones((5, 5, 3)), np.ones((3, 3)), "the image must be 2-D")]:
    raised = False
    try:
        conv2d_single(bad_image, bad_kernel)
    except ValueError:
        raised = True
    assert raised, "conv2d_single should raise ValueError: " + why
print("conv2d_single: visible tests passed")''',
    "correct": r'''image = np.array(image, dtype=float)
kernel = np.array(kernel, dtype=float)
if image.ndim != 2 or kernel.ndim != 2:
    raise ValueError("image and kernel must be 2-D")
H, W = image.shape
kh, kw = kernel.shape
if kh > H or kw > W:
    raise ValueError("kernel is bigger than the image")
out = np.zeros((H - kh + 1, W - kw + 1))
for i in range(H - kh + 1):
    for j in range(W - kw + 1):
        window = image[i:i + kh, j:j + kw]
        out[i, j] = np.sum(window * kernel)
return out''',
    # The typical mistake: a "true" convolution, with the kernel rotated by 180 degrees.
    "wrong": r'''image = np.array(image, dtype=float)
kernel = np.array(kernel, dtype=float)
if image.ndim != 2 or kernel.ndim != 2:
    raise ValueError("image and kernel must be 2-D")
H, W = image.shape
kh, kw = kernel.shape
if kh > H or kw > W:
    raise ValueError("kernel is bigger than the image")
flipped = kernel[::-1, ::-1]  # convolution flips the kernel
out = np.zeros((H - kh + 1, W - kw + 1))
for i in range(H - kh + 1):
    for j in range(W - kw + 1):
        window = image[i:i + kh, j:j + kw]
        out[i, j] = np.sum(window * flipped)
return out''',
}

CHANNELS = r"""### Several channels, several filters

A colour image has channels, and so do the feature maps inside a network
(one per filter of the previous layer). A filter therefore has a channel axis
too: with `C` input channels, one filter is a `(kh, kw, C)` block. At each
position it is multiplied with the `(kh, kw, C)` window **across all
channels**, everything is summed into one number, and the filter's bias is
added. A layer has `F` filters stacked along the last axis, `(kh, kw, C, F)`,
and produces `F` output channels, one feature map per filter:

$$\text{out}[i, j, f] = \sum_{a, b, c} x[i+a,\ j+b,\ c]\cdot \text{filters}[a, b, c, f] + \text{bias}[f]$$

This is what `keras.layers.Conv2D(F, (kh, kw), padding="valid")` computes
before its activation, i.e. `tf.nn.conv2d(x[None], filters, 1, "VALID")[0] + bias`.
"""

CONV2D = {
    "name": "conv2d",
    "signature": "conv2d(x, filters, bias)",
    "points": 4,
    "text": r"""### Task 3: `conv2d(x, filters, bias)` (4 points)

* `x`: `(H, W, C)`; `filters`: `(kh, kw, C, F)`; `bias`: `(F,)`.
* Stride 1, no padding, no flip.
* Returns: shape `(H - kh + 1, W - kw + 1, F)`, where output channel `f` is the
  sum over **all** input channels of the window times `filters[:, :, :, f]`,
  plus `bias[f]`. This equals `tf.nn.conv2d(x[None], filters, 1, "VALID")[0] + bias`.
* Raises `ValueError` if the filters' channel count `filters.shape[2]` differs
  from `x`'s `C`, or if the bias does not have exactly `F` values.
""",
    "solution": r'''def conv2d(x, filters, bias):
    """Multi-channel, multi-filter cross-correlation plus bias (stride 1, no padding).

    Parameters
    ----------
    x : array (H, W, C).
    filters : array (kh, kw, C, F), the layout of a Keras Conv2D kernel.
    bias : array (F,).

    Returns
    -------
    array (H - kh + 1, W - kw + 1, F) with
    out[i, j, f] = sum(x[i:i+kh, j:j+kw, :] * filters[:, :, :, f]) + bias[f].

    Raises
    ------
    ValueError if filters.shape[2] != C or len(bias) != F.
    """
    ### BEGIN SOLUTION
    x = np.asarray(x, dtype=float)
    filters = np.asarray(filters, dtype=float)
    bias = np.asarray(bias, dtype=float)
    if x.ndim != 3 or filters.ndim != 4 or bias.ndim != 1:
        shapes = (x.shape, filters.shape, bias.shape)
        raise ValueError("expected x (H, W, C), filters (kh, kw, C, F), bias (F,); got %s, %s, %s" % shapes)
    h, w, channels = x.shape
    kh, kw, filter_channels, count = filters.shape
    if filter_channels != channels:
        raise ValueError("x has %d channels but the filters expect %d" % (channels, filter_channels))
    if bias.shape[0] != count:
        raise ValueError("bias has %d values for %d filters" % (bias.shape[0], count))
    if kh < 1 or kw < 1 or kh > h or kw > w:
        raise ValueError("a %dx%d kernel does not fit in a %dx%d input" % (kh, kw, h, w))
    out_h, out_w = h - kh + 1, w - kw + 1
    out = np.zeros((out_h, out_w, count))
    for a in range(kh):
        for b in range(kw):
            # (out_h, out_w, C) @ (C, F): sums over the channels for every filter at once.
            out += x[a:a + out_h, b:b + out_w, :] @ filters[a, b]
    return out + bias
    ### END SOLUTION''',
    "tests": r'''# The lecture's edge example as a 1-channel image with one filter and bias 0.
edge_x = np.array([[10, 10, 10, 0, 0, 0]] * 6, dtype=float)[:, :, None]     # (6, 6, 1)
edge_filters = np.array([[1, 0, -1]] * 3, dtype=float)[:, :, None, None]    # (3, 3, 1, 1)
edge_out = np.asarray(conv2d(edge_x, edge_filters, np.zeros(1)))
assert edge_out.shape == (4, 4, 1), "expected shape (6-3+1, 6-3+1, 1 filter) = (4, 4, 1); got %s" % (edge_out.shape,)
assert np.allclose(edge_out[:, :, 0], [[0, 30, 30, 0]] * 4), (
    "expected columns 0, 30, 30, 0 as in the lecture; got\n%s\n"
    "(-30 means the filter was flipped)" % edge_out[:, :, 0])

# Two channels, two 2x2 filters, bias (10, -1):
#   filter 0 reads only channel 0, top-left cell of each window:  out0 = channel0[i, j] + 10
#   filter 1 adds up channel 1 (all ones) over the whole window:  out1 = 4 - 1 = 3
two_channels = np.zeros((3, 3, 2))
two_channels[:, :, 0] = [[0, 1, 2],
                         [3, 4, 5],
                         [6, 7, 8]]
two_channels[:, :, 1] = 1.0
bank = np.zeros((2, 2, 2, 2))
bank[0, 0, 0, 0] = 1.0
bank[:, :, 1, 1] = 1.0
two_channels_before, bank_before = two_channels.copy(), bank.copy()
mixed = np.asarray(conv2d(two_channels, bank, np.array([10.0, -1.0])))
assert mixed.shape == (2, 2, 2), "a 3x3x2 input and two 2x2 filters give shape (2, 2, 2); got %s" % (mixed.shape,)
assert np.allclose(mixed[:, :, 0], [[10, 11], [13, 14]]), (
    "output channel 0 should be [[0, 1], [3, 4]] + bias 10 = [[10, 11], [13, 14]]; got\n%s\n"
    "([[14, 15], [17, 18]] means the filter was flipped; [[0, 1], [3, 4]] means the bias is missing)" % mixed[:, :, 0])
assert np.allclose(mixed[:, :, 1], 3), (
    "output channel 1 should be 3 everywhere: 4 ones from channel 1, plus bias -1; got\n%s\n"
    "(-1 means only channel 0 was used: a filter sums over all input channels)" % mixed[:, :, 1])
assert np.array_equal(two_channels, two_channels_before) and np.array_equal(bank, bank_before), (
    "conv2d must not change its inputs")

for bad_filters, bad_bias, why in [
        (np.ones((2, 2, 3, 1)), np.zeros(1), "the filters expect 3 channels but x has 2"),
        (np.ones((2, 2, 2, 2)), np.zeros(3), "2 filters need 2 bias values, not 3")]:
    raised = False
    try:
        conv2d(two_channels, bad_filters, bad_bias)
    except ValueError:
        raised = True
    assert raised, "conv2d should raise ValueError: " + why
print("conv2d: visible tests passed")''',
    "correct": r'''x = np.array(x, dtype=float)
filters = np.array(filters, dtype=float)
bias = np.array(bias, dtype=float)
H, W, C = x.shape
kh, kw, C2, F = filters.shape
if C2 != C:
    raise ValueError("number of channels does not match")
if len(bias) != F:
    raise ValueError("need one bias per filter")
out = np.zeros((H - kh + 1, W - kw + 1, F))
for f in range(F):
    for i in range(H - kh + 1):
        for j in range(W - kw + 1):
            window = x[i:i + kh, j:j + kw, :]
            out[i, j, f] = np.sum(window * filters[:, :, :, f]) + bias[f]
return out''',
    # The same mistake as in conv2d_single: every filter rotated by 180 degrees.
    "wrong": r'''x = np.array(x, dtype=float)
filters = np.array(filters, dtype=float)
bias = np.array(bias, dtype=float)
H, W, C = x.shape
kh, kw, C2, F = filters.shape
if C2 != C:
    raise ValueError("number of channels does not match")
if len(bias) != F:
    raise ValueError("need one bias per filter")
out = np.zeros((H - kh + 1, W - kw + 1, F))
for f in range(F):
    kernel = filters[::-1, ::-1, :, f]  # flip the kernel, like in a convolution
    for i in range(H - kh + 1):
        for j in range(W - kw + 1):
            window = x[i:i + kh, j:j + kw, :]
            out[i, j, f] = np.sum(window * kernel) + bias[f]
return out''',
}

SCRATCH = r"""## Try it yourself (not graded)

The cell below is yours. For example, build an image with a horizontal edge
and find a filter that detects it, or check that `conv2d` with one channel and
one filter agrees with `conv2d_single`.
"""

CELLS = [
    {"id": "intro", "markdown": INTRO},
    {"id": "imports", "code": "import numpy as np"},
    {"id": "images-are-numbers", "markdown": IMAGES_ARE_NUMBERS},
    {"task": TO_UNIT_RANGE},
    {"id": "the-convolution-operation", "markdown": CONVOLUTION},
    {"task": CONV2D_SINGLE},
    {"id": "channels-and-filters", "markdown": CHANNELS},
    {"task": CONV2D},
    {"id": "scratch-text", "markdown": SCRATCH},
    {"id": "scratch", "code": "# Your experiments here: this cell is not graded."},
]
