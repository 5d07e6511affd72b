'''Content of notebook ex5: residual blocks.

Plain data, read by ``exercises/build_notebooks.py`` (see exercises/README.md):
CELLS lists the notebook's cells in order; a ``{"task": ...}`` entry becomes
three cells (description, solution, autograded tests). Rebuild with
``python exercises/build_notebooks.py`` after editing.
'''

EXERCISE = "ex5"
NUMPY_ONLY = False   # a Keras exercise

INTRO = r"""# Exercise 5: residual blocks

The deeper a plain stack of layers gets, the harder it is to train. Residual
connections fix this with a shortcut: a block adds its own input back to its
output. In this exercise you write the lecture's residual block in Keras and
assemble the lecture's small residual network from it.

| Task | Points |
|---|---|
| `residual_block` | 6 |
| `build_residual_model` | 4 |
| **Total** | **10** |

**How to work.** In every solution cell, delete the line
`raise NotImplementedError()` and write your code in its place. Then run the
test cell below it. Those tests only check a few things a student can work
out by hand: shapes, which layers there are, parameter counts. When you are
graded, more is checked. Your block is compared with the lecture's on other
input sizes, and once both carry the same weights, their outputs must agree.

**Conventions.** This exercise uses Keras 3 (`import keras`,
`from keras import layers`), channels-last as everywhere in this course: a
batch of images is `(N, H, W, C)`. Where this notebook does not say what
should happen, Keras decides, and you do not need to do anything special.
For example, Keras picks the layer names and the random initial weights.

**Messages on the error stream.** nbgrader counts a test cell that writes
anything to the error stream (the red text in Jupyter, e.g. a warning) as
failed, even if all its tests pass. The first code cell therefore switches off
TensorFlow's low-level log messages before Keras is imported. Run it first,
in a fresh kernel, and keep your own code free of warnings.
"""

IMPORTS = """import os
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")   # before Keras is imported: silence TensorFlow's C++ log lines
import numpy as np
import keras
from keras import layers"""

WHY = r"""## Why residual connections

A deep network is a long chain of layers. Each one transforms what it gets
and passes it on. Every step adds a little noise and loses a little
information. If the chain is long enough, the noise drowns out the signal.
The same happens on the way back during training: the gradient that reaches
the first layers becomes too small to teach them anything (the *vanishing
gradient* problem).

A **residual connection** gives the signal a way around. A block of a few
layers computes some $F(x)$ from its input $x$, and the block's output is

$$\text{output} = F(x) + x .$$

The input travels along the shortcut unchanged and is added back at the end.
The layers in the block only have to learn a *correction* to $x$. The
gradient also flows back through the addition undisturbed. Deep networks are
therefore built from repeating blocks, as the lecture says:
convolution, pooling, residual connection, convolution, pooling, residual
connection, ...

### Adding needs equal shapes

`layers.add([a, b])` adds two tensors element by element, so they must have
the same shape. Otherwise Keras refuses with a `ValueError` ("Inputs have
incompatible shapes"). A block of two `Conv2D(filters, 3, padding="same")`
layers keeps the height and width, but it gives `filters` channels, so there
are three cases for the shortcut:

| the block ... | main path output | shortcut |
|---|---|---|
| keeps the channels, no pooling | `(H, W, C)` | the input itself (**identity**) |
| changes the channels, no pooling | `(H, W, filters)` | `Conv2D(filters, 1)`: a **1 x 1 projection** |
| pools | `(ceil(H/2), ceil(W/2), filters)` | `Conv2D(filters, 1, strides=2)`: a **strided 1 x 1 projection** |

A 1 x 1 convolution looks at a single pixel, so it only mixes the channels. It
turns `C` channels into `filters` channels. With `strides=2` it also keeps only
every second row and column. It has no padding, so it leaves
$\lfloor (H - 1)/2 \rfloor + 1 = \lceil H/2 \rceil$ rows, which is exactly what
`MaxPooling2D(2, padding="same")` leaves, for odd sizes too.

### The lecture's listing

This is the lecture's network: a 32 x 32 colour image, scaled to [0, 1], three
residual blocks, global average pooling, and a single sigmoid unit for a
two-class problem.

```python
inputs = keras.Input(shape=(32, 32, 3))
x = layers.Rescaling(1./255)(inputs)

def residual_block(x, filters, pooling=False):
    residual = x
    x = layers.Conv2D(filters, 3, activation="relu", padding="same")(x)
    x = layers.Conv2D(filters, 3, activation="relu", padding="same")(x)
    if pooling:
        x = layers.MaxPooling2D(2, padding="same")(x)
        residual = layers.Conv2D(filters, 1, strides=2)(residual)
    elif filters != residual.shape[-1]:
        residual = layers.Conv2D(filters, 1)(residual)
    x = layers.add([x, residual])
    return x

x = residual_block(x, filters=32, pooling=True)
x = residual_block(x, filters=64, pooling=True)
x = residual_block(x, filters=128, pooling=False)

x = layers.GlobalAveragePooling2D()(x)
outputs = layers.Dense(1, activation="sigmoid")(x)
model = keras.Model(inputs=inputs, outputs=outputs)
model.summary()
```

It uses Keras' **functional API**. `keras.Input(shape=(H, W, C))` makes a
*symbolic* tensor, a placeholder with shape `(None, H, W, C)`, where `None`
stands for the batch size. Calling a layer on a symbolic tensor gives the next
symbolic tensor, and `keras.Model(inputs, outputs)` turns the graph between them
into a model. A shortcut is just a tensor you keep in a variable (`residual`)
and use again later. That is something a plain `keras.Sequential` cannot
express. `x.shape[-1]` is the number of channels of a symbolic tensor.
"""

RESIDUAL_BLOCK = {
    "name": "residual_block",
    "signature": "residual_block(x, filters, pooling=False)",
    "points": 6,
    "text": r"""### Task 1: `residual_block(x, filters, pooling=False)` (6 points)

* `x`: a symbolic Keras tensor `(None, H, W, C)`, e.g. a `keras.Input` or the
  output of an earlier block.
* `filters`: the number of filters of both 3 x 3 convolutions.
* `pooling`: whether the block halves the height and width.
* Returns: the block's output tensor. It is the main path (two
  `Conv2D(filters, 3, activation="relu", padding="same")`, then
  `MaxPooling2D(2, padding="same")` if `pooling`) added to the shortcut, which
  is one of the three cases above:
  * pooling: `Conv2D(filters, 1, strides=2)` on the block's input;
  * no pooling and `C != filters`: `Conv2D(filters, 1)` on the block's input;
  * no pooling and `C == filters`: the block's input itself.
* Output shape: `(None, ceil(H/2), ceil(W/2), filters)` if `pooling`, else
  `(None, H, W, filters)`.

The shortcut starts from the block's **input**: keep it in a variable before
`x` is overwritten. The shortcut's 1 x 1 convolutions have no activation (the
listing gives none). Add with `layers.add`, and do not concatenate.

**Parameters.** A `Conv2D` with a `kh x kw` kernel, `C_in` input channels and
`F` filters has `kh * kw * C_in * F` weights plus `F` biases. For a
`(32, 32, 3)` input and 32 filters with pooling, that is
`3*3*3*32 + 32 = 896` for the first convolution, `3*3*32*32 + 32 = 9248` for
the second and `1*1*3*32 + 32 = 128` for the shortcut: 10,272 in all.
""",
    "solution": r'''def residual_block(x, filters, pooling=False):
    """The lecture's residual block: two 3x3 convolutions plus a shortcut.

    Parameters
    ----------
    x : symbolic Keras tensor (None, H, W, C).
    filters : number of filters of both 3x3 convolutions.
    pooling : if True, halve H and W with MaxPooling2D(2, padding="same").

    Returns
    -------
    symbolic tensor (None, ceil(H/2), ceil(W/2), filters) if pooling, else
    (None, H, W, filters): the main path added to the shortcut (the identity,
    a 1x1 projection, or a strided 1x1 projection).
    """
    ### BEGIN SOLUTION
    residual = x
    x = layers.Conv2D(filters, 3, activation="relu", padding="same")(x)
    x = layers.Conv2D(filters, 3, activation="relu", padding="same")(x)
    if pooling:
        x = layers.MaxPooling2D(2, padding="same")(x)
        residual = layers.Conv2D(filters, 1, strides=2)(residual)
    elif filters != residual.shape[-1]:
        residual = layers.Conv2D(filters, 1)(residual)
    x = layers.add([x, residual])
    return x
    ### END SOLUTION''',
    "tests": r'''def block_model(input_shape, filters, pooling):
    """A keras.Model around one residual_block, so that its layers can be inspected."""
    inputs = keras.Input(shape=input_shape)
    try:
        outputs = residual_block(inputs, filters, pooling=pooling)
    except ValueError as error:
        raise AssertionError(
            "residual_block(Input(shape=%s), %d, pooling=%s) failed: %s\n"
            "If Keras says the shapes are incompatible, the shortcut does not match the main path: when the "
            "block pools, the shortcut must be downsampled too, with Conv2D(filters, 1, strides=2)" %
            (input_shape, filters, pooling, error)) from None
    return keras.Model(inputs, outputs)


def one_by_one(model):
    """The model's 1x1 convolutions: the shortcut's projection, if it has one."""
    return [layer for layer in model.layers
            if isinstance(layer, layers.Conv2D) and tuple(layer.kernel_size) == (1, 1)]


# 1. Pooling: (32, 32, 3) -> (16, 16, 32), shortcut Conv2D(32, 1, strides=2).
pooled = block_model((32, 32, 3), 32, pooling=True)
assert tuple(pooled.output_shape) == (None, 16, 16, 32), (
    "a pooling block with 32 filters turns (32, 32, 3) into (None, 16, 16, 32); got %s" % (pooled.output_shape,))
assert any(isinstance(layer, layers.Add) for layer in pooled.layers), (
    "the shortcut must be added to the main path with layers.add")
assert len(one_by_one(pooled)) == 1 and tuple(one_by_one(pooled)[0].strides) == (2, 2), (
    "when pooling, the shortcut is one 1x1 convolution with strides=2")
assert pooled.count_params() == 896 + 9248 + 128, (
    "expected 896 + 9248 + 128 = 10272 parameters (two 3x3 convolutions and the 1x1 shortcut); got %d" %
    pooled.count_params())

# 2. Same channels, no pooling: the shortcut is the input itself.
identity = block_model((16, 16, 32), 32, pooling=False)
assert tuple(identity.output_shape) == (None, 16, 16, 32), (
    "without pooling the block keeps H and W: expected (None, 16, 16, 32); got %s" % (identity.output_shape,))
assert len(one_by_one(identity)) == 0, (
    "32 channels in, 32 filters, no pooling: the shortcut is the input itself, with no 1x1 convolution")
assert identity.count_params() == 2 * 9248, (
    "expected 2 * (3*3*32*32 + 32) = 18496 parameters; got %d" % identity.count_params())

# 3. More channels, no pooling: the shortcut is Conv2D(64, 1), stride 1.
projected = block_model((16, 16, 32), 64, pooling=False)
assert tuple(projected.output_shape) == (None, 16, 16, 64), (
    "expected (None, 16, 16, 64); got %s" % (projected.output_shape,))
assert len(one_by_one(projected)) == 1 and tuple(one_by_one(projected)[0].strides) == (1, 1), (
    "32 channels in, 64 filters, no pooling: the shortcut is one 1x1 convolution with stride 1")
assert projected.count_params() == 18496 + 36928 + 2112, (
    "expected (3*3*32*64 + 64) + (3*3*64*64 + 64) + (1*1*32*64 + 64) = 57536 parameters; got %d" %
    projected.count_params())

# 4. An odd size: pooling with padding="same" rounds up, and so does the strided shortcut.
odd = block_model((9, 9, 4), 8, pooling=True)
assert tuple(odd.output_shape) == (None, 5, 5, 8), (
    "a pooling block turns 9x9 into ceil(9/2) = 5; expected (None, 5, 5, 8); got %s" % (odd.output_shape,))
print("residual_block: visible tests passed")''',
    # Shortcut first, then the main path; layers.Add instead of layers.add.
    "correct": r'''shortcut = x
if pooling:
    shortcut = layers.Conv2D(filters, 1, strides=2)(x)
elif x.shape[-1] != filters:
    shortcut = layers.Conv2D(filters, 1)(x)
y = layers.Conv2D(filters, 3, padding="same", activation="relu")(x)
y = layers.Conv2D(filters, 3, padding="same", activation="relu")(y)
if pooling:
    y = layers.MaxPooling2D(2, padding="same")(y)
return layers.Add()([y, shortcut])''',
    # The typical mistake: only the number of channels is matched; a pooling
    # block's shortcut is not downsampled, so layers.add gets 16x16 and 32x32.
    "wrong": r'''shortcut = x
y = layers.Conv2D(filters, 3, padding="same", activation="relu")(x)
y = layers.Conv2D(filters, 3, padding="same", activation="relu")(y)
if pooling:
    y = layers.MaxPooling2D(2, padding="same")(y)
if x.shape[-1] != filters:
    shortcut = layers.Conv2D(filters, 1)(x)
return layers.Add()([y, shortcut])''',
}

MODEL = r"""## The whole network

Stacking the blocks gives the lecture's model. For the listing's
`(32, 32, 3)` input, the shapes are:

| layer | output shape |
|---|---|
| `Input` | `(None, 32, 32, 3)` |
| `Rescaling(1./255)` | `(None, 32, 32, 3)`, pixel values now in [0, 1] |
| block, 32 filters, pooling | `(None, 16, 16, 32)` |
| block, 64 filters, pooling | `(None, 8, 8, 64)` |
| block, 128 filters, no pooling | `(None, 8, 8, 128)`, with a 1 x 1 projection because 64 != 128 |
| `GlobalAveragePooling2D()` | `(None, 128)`: the mean of each channel |
| `Dense(1, activation="sigmoid")` | `(None, 1)`: the probability of the positive class |

The `Rescaling` layer has no weights, so the model has the same shapes and
parameters without it. Its outputs would differ, though, because every
convolution would see pixels 255 times larger than it was built for.
"""

BUILD_RESIDUAL_MODEL = {
    "name": "build_residual_model",
    "signature": "build_residual_model(input_shape=(32, 32, 3))",
    "points": 4,
    "text": r"""### Task 2: `build_residual_model(input_shape=(32, 32, 3))` (4 points)

* `input_shape`: `(H, W, C)` of one image, pixel values in [0, 255].
* Returns: the listing's network as a `keras.Model`:
  `keras.Input(shape=input_shape)`, `Rescaling(1./255)`, your
  `residual_block` three times (32 filters with pooling, 64 with pooling, 128
  without), `GlobalAveragePooling2D()`, then `Dense(1, activation="sigmoid")`.
* Do not compile it, because nobody trains it here. Use the `input_shape`
  you are given, since the grading also tries other sizes.

For the default input, the model has 297,697 parameters: 10,272 + 57,536 +
229,760 in the three blocks and 128 + 1 in the last `Dense` layer.
""",
    "solution": r'''def build_residual_model(input_shape=(32, 32, 3)):
    """The lecture's residual network, uncompiled.

    Parameters
    ----------
    input_shape : (H, W, C) of one image, pixel values in [0, 255].

    Returns
    -------
    keras.Model: Input -> Rescaling(1/255) -> residual blocks of 32 (pooling),
    64 (pooling) and 128 filters -> GlobalAveragePooling2D -> Dense(1, sigmoid).
    """
    ### BEGIN SOLUTION
    inputs = keras.Input(shape=input_shape)
    x = layers.Rescaling(1./255)(inputs)
    x = residual_block(x, filters=32, pooling=True)
    x = residual_block(x, filters=64, pooling=True)
    x = residual_block(x, filters=128, pooling=False)
    x = layers.GlobalAveragePooling2D()(x)
    outputs = layers.Dense(1, activation="sigmoid")(x)
    return keras.Model(inputs=inputs, outputs=outputs)
    ### END SOLUTION''',
    "tests": r'''network = build_residual_model()
assert isinstance(network, keras.Model), (
    "build_residual_model must return a keras.Model, not %s" % type(network).__name__)
assert tuple(network.input_shape) == (None, 32, 32, 3), (
    "the default input is (32, 32, 3) images: expected (None, 32, 32, 3); got %s" % (network.input_shape,))
assert tuple(network.output_shape) == (None, 1), (
    "the model ends in Dense(1, sigmoid): expected (None, 1); got %s" % (network.output_shape,))
kinds = [type(layer).__name__ for layer in network.layers]
assert "Rescaling" in kinds, "the listing scales the pixels with layers.Rescaling(1./255) right after the input"
rescaling = network.layers[kinds.index("Rescaling")]
assert np.isclose(float(rescaling.scale), 1 / 255), "Rescaling must multiply by 1/255, not %s" % rescaling.scale
assert kinds.count("Add") == 3, "three residual blocks, so three additions; found %d" % kinds.count("Add")
assert "GlobalAveragePooling2D" in kinds, "the blocks are followed by GlobalAveragePooling2D"
assert network.count_params() == 297697, (
    "the listing's model has 10272 + 57536 + 229760 + 129 = 297697 parameters; got %d" % network.count_params())

# Two images with pixel values in [0, 255]: one probability each.
images = np.random.default_rng(0).uniform(0, 255, size=(2, 32, 32, 3)).astype("float32")
probabilities = keras.ops.convert_to_numpy(network(images))
assert probabilities.shape == (2, 1), "two images give shape (2, 1); got %s" % (probabilities.shape,)
assert np.all((probabilities > 0) & (probabilities < 1)), "a sigmoid output lies between 0 and 1"

# The input shape is a parameter: 24x24 grayscale images.
small = build_residual_model((24, 24, 1))
assert tuple(small.input_shape) == (None, 24, 24, 1), (
    "build_residual_model((24, 24, 1)) must take (24, 24, 1) images; got %s" % (small.input_shape,))
print("build_residual_model: visible tests passed")''',
    "correct": r'''inputs = keras.Input(shape=input_shape)
x = layers.Rescaling(1 / 255)(inputs)
for filters, pooling in [(32, True), (64, True), (128, False)]:
    x = residual_block(x, filters, pooling)
x = layers.GlobalAveragePooling2D()(x)
outputs = layers.Dense(1, activation="sigmoid")(x)
return keras.Model(inputs, outputs)''',
}

SCRATCH = r"""## Try it yourself (not graded)

The cell below is yours. For example, call `build_residual_model().summary()`
and find each block's 1 x 1 shortcut convolution in the table. Or build one
block on a `keras.Input(shape=(8, 8, 16))` with `pooling=True`, and check that
without the strided shortcut, `layers.add` refuses the shapes.
"""

CELLS = [
    {"id": "intro", "markdown": INTRO},
    {"id": "imports", "code": IMPORTS},
    {"id": "why-residual-connections", "markdown": WHY},
    {"task": RESIDUAL_BLOCK},
    {"id": "the-whole-network", "markdown": MODEL},
    {"task": BUILD_RESIDUAL_MODEL},
    {"id": "scratch-text", "markdown": SCRATCH},
    {"id": "scratch", "code": "# Your experiments here: this cell is not graded."},
]
