'''Content of notebook ex4: data augmentation.

Plain data, read by ``exercises/build_notebooks.py`` (see exercises/README.md):
CELLS lists the notebook's cells in order; a ``{"task": ...}`` entry becomes
three cells (description, solution, autograded tests). Rebuild with
``python exercises/build_notebooks.py`` after editing.
'''

EXERCISE = "ex4"
NUMPY_ONLY = False   # build_augmentation uses Keras; random_flip and random_crop are NumPy-only tasks

INTRO = r"""# Exercise 4: data augmentation

A CNN with many weights that is trained on a few hundred images will sooner or
later memorise them. It fits the training set ever better and new images
ever worse. This is **overfitting**. One remedy that works especially well
for images is **data augmentation**. Every time the network sees a training
image, the image is changed a little at random: mirrored, shifted, rotated,
zoomed. The network never sees exactly the same picture twice, and it has to
learn what stays the same: the object, not the exact pixels.

In this exercise you write two such random transformations yourself with
NumPy, then the augmentation model that Keras builds from its preprocessing
layers.

| Task | Points |
|---|---|
| `random_flip` | 3 |
| `random_crop` | 3 |
| `build_augmentation` | 4 |
| **Total** | **10** |

**How to work.** In every solution cell, delete the line
`raise NotImplementedError()` and write your code in its place. Then run the
test cell below it. Those tests check a few cases you can work out by hand.
When you are graded, your functions are also called hundreds of times on
other images, and the grader checks that their random choices come out with
the right frequencies.

**Conventions.** An image is an `(H, W, C)` array (channels-last, as in
Keras). `random_flip` and `random_crop` use NumPy only; `build_augmentation`
uses Keras 3 (`import keras`, `from keras import layers`). Never change an
input array in place. Raise `ValueError` for the invalid arguments each task
lists. Where this notebook is silent, Keras decides.

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

RANDOMNESS = r"""## Randomness you can repeat

A random transformation draws random numbers. In these exercises they come
from **one place only**, the `rng` argument: a NumPy random generator, made
with `np.random.default_rng(seed)`. Two generators made with the same seed
produce the same numbers, so your function gives the same results again.
That makes experiments repeatable and lets the grader check your function.
Do not use `np.random.rand`, `np.random.seed`, Python's `random` module or a
generator of your own.

The two draws you need:

* `rng.random()`: a float, uniform in $[0, 1)$. `rng.random() < p` is `True`
  with probability `p`.
* `rng.integers(low, high)`: an integer, uniform over `low, low + 1, ...,
  high - 1`. As with `range`, **`high` itself is never drawn**.

```python
rng = np.random.default_rng(42)
rng.random(), rng.integers(0, 3)   # the same two numbers every time the cell runs
```

One more thing to keep in mind: an augmentation must not change what the
image *shows*. A mirrored cat is still a cat, but a mirrored 3 is no longer a
3. Which transformations are safe depends on the data.
"""

FLIPPING = r"""## Flipping

The simplest augmentation mirrors the image left to right. For an `(H, W, C)`
array, that means reversing the order of the **columns**, axis 1:
`image[:, ::-1]` (or `np.flip(image, axis=1)`). `image[::-1]` would reverse
the rows instead, which turns the picture upside down.

```
image            image[:, ::-1]
0 1 2            2 1 0
3 4 5            5 4 3
```

A random flip mirrors with some probability `p` and otherwise leaves the image
as it is. Over many calls, about a fraction `p` of the results are mirrored.
"""

RANDOM_FLIP = {
    "name": "random_flip",
    "signature": "random_flip(image, rng, p=0.5)",
    "points": 3,
    "numpy_only": True,
    "text": r"""### Task 1: `random_flip(image, rng, p=0.5)` (3 points)

* `image`: an `(H, W, C)` array; `rng`: a `numpy.random.Generator`; `p`: the
  probability of flipping.
* Returns, with probability `p`, the horizontal mirror `image[:, ::-1]`, and
  otherwise an equal copy of `image`. The shape stays `(H, W, C)`.
* Draw the decision from `rng` (for example `rng.random() < p`), so that the
  same generator state gives the same result.
* Raises `ValueError` unless `0 <= p <= 1`.
* `image` itself must stay unchanged: return a new array.
""",
    "solution": r'''def random_flip(image, rng, p=0.5):
    """Mirror an image left-right with probability p.

    Parameters
    ----------
    image : array (H, W, C).
    rng : numpy.random.Generator, the only source of randomness.
    p : probability of flipping, 0 <= p <= 1.

    Returns
    -------
    array (H, W, C): image[:, ::-1] with probability p, else an equal copy.

    Raises
    ------
    ValueError unless 0 <= p <= 1.
    """
    ### BEGIN SOLUTION
    p = float(p)
    if not 0.0 <= p <= 1.0:   # also rejects NaN
        raise ValueError("p must be in [0, 1], got %r" % p)
    image = np.asarray(image)
    if rng.random() < p:
        return image[:, ::-1].copy()
    return image.copy()
    ### END SOLUTION''',
    "tests": r'''# A 2x3 image with one channel: the values 0..5 row by row.
picture = np.arange(6, dtype=float).reshape(2, 3, 1)
picture_before = picture.copy()
mirror = np.array([[2, 1, 0],
                   [5, 4, 3]], dtype=float).reshape(2, 3, 1)

always = np.asarray(random_flip(picture, np.random.default_rng(0), p=1.0))
assert always.shape == (2, 3, 1), "a flip keeps the shape (2, 3, 1); got %s" % (always.shape,)
assert np.array_equal(always, mirror), (
    "with p=1 the image is always mirrored left-right (columns reversed), expected\n%s\ngot\n%s\n"
    "(rows reversed means an upside-down flip: use image[:, ::-1], not image[::-1])" %
    (mirror[:, :, 0], always[:, :, 0]))
never = np.asarray(random_flip(picture, np.random.default_rng(0), p=0.0))
assert np.array_equal(never, picture), "with p=0 the image is never flipped: expect an equal copy"
assert np.array_equal(picture, picture_before), "random_flip must not change its input"

# The default p=0.5: 400 calls with one generator flip about 200 times.
rng = np.random.default_rng(1)
results = [np.asarray(random_flip(picture, rng)) for _ in range(400)]
assert all(np.array_equal(r, picture) or np.array_equal(r, mirror) for r in results), (
    "every result must be the image itself or its left-right mirror")
flips = sum(np.array_equal(r, mirror) for r in results)
assert 140 <= flips <= 260, (
    "with p=0.5, about half of 400 calls should flip (a correct solution gives 140..260 "
    "practically always); got %d flips" % flips)

# p=0.2: about 80 flips in 400 calls (320 would mean flipping with probability 1 - p).
rng = np.random.default_rng(2)
flips = sum(np.array_equal(random_flip(picture, rng, p=0.2), mirror) for _ in range(400))
assert 40 <= flips <= 120, (
    "with p=0.2, about 80 of 400 calls should flip (a correct solution gives 40..120 practically always); "
    "got %d flips. rng.random() < p is True with probability p" % flips)

# The same seed gives the same sequence of flips.
rng_a, rng_b = np.random.default_rng(7), np.random.default_rng(7)
first = [np.array_equal(random_flip(picture, rng_a, 0.3), mirror) for _ in range(20)]
second = [np.array_equal(random_flip(picture, rng_b, 0.3), mirror) for _ in range(20)]
assert first == second, (
    "two generators with the same seed must give the same flips: draw only from rng (e.g. rng.random() < p)")

for bad_p in (1.5, -0.1):
    raised = False
    try:
        random_flip(picture, np.random.default_rng(0), p=bad_p)
    except ValueError:
        raised = True
    assert raised, "random_flip should raise ValueError for p = %s: p must be in [0, 1]" % bad_p
print("random_flip: visible tests passed")''',
    "correct": r'''if p < 0 or p > 1:
    raise ValueError("p must be between 0 and 1")
image = np.array(image)
if rng.random() < p:
    image = np.flip(image, axis=1)
return image.copy()''',
}

CROPPING = r"""## Cropping

A random crop cuts a smaller window of size `(h, w)` out of the image, at a
random position. It works like a random shift of the picture. The window's
top-left corner `(i, j)` can be any row `i = 0, 1, ..., H - h` and any column
`j = 0, 1, ..., W - w`. That is `H - h + 1` rows and `W - w + 1` columns of
valid positions, the same count as for the positions of a filter in exercise 1.

Each of these positions must be equally likely. If `i` and `j` are drawn
independently and uniformly, every corner has probability
$1 / ((H - h + 1)(W - w + 1))$. A classic slip is to forget the last
position: `rng.integers(0, H - h)` never draws `H - h`, because `high` is
excluded.

```
a 4 x 5 image, a 2 x 3 window: corners i in {0, 1, 2}, j in {0, 1, 2}

i=0, j=0        i=2, j=2 (the last position)
x x x . .       . . . . .
x x x . .       . . . . .
. . . . .       . . x x x
. . . . .       . . x x x
```
"""

RANDOM_CROP = {
    "name": "random_crop",
    "signature": "random_crop(image, size, rng)",
    "points": 3,
    "numpy_only": True,
    "text": r"""### Task 2: `random_crop(image, size, rng)` (3 points)

* `image`: an `(H, W, C)` array; `size`: `(h, w)`, the window's height and
  width; `rng`: a `numpy.random.Generator`.
* Returns the window `image[i:i+h, j:j+w]`, shape `(h, w, C)`, whose top-left
  corner `(i, j)` is uniform over every valid position
  (`0 <= i <= H - h`, `0 <= j <= W - w`). Draw it from `rng`.
* Raises `ValueError` if the window does not fit in the image (`h > H` or
  `w > W`).
* `image` itself must stay unchanged.
""",
    "solution": r'''def random_crop(image, size, rng):
    """A random (h, w) window of an image, uniform over all valid positions.

    Parameters
    ----------
    image : array (H, W, C).
    size : (h, w), the window's height and width.
    rng : numpy.random.Generator, the only source of randomness.

    Returns
    -------
    array (h, w, C): image[i:i+h, j:j+w] with the corner (i, j) uniform over
    0 <= i <= H - h, 0 <= j <= W - w.

    Raises
    ------
    ValueError if the window does not fit in the image.
    """
    ### BEGIN SOLUTION
    image = np.asarray(image)
    h, w = (int(s) for s in size)
    height, width = image.shape[:2]
    if not (1 <= h <= height and 1 <= w <= width):
        raise ValueError("a %dx%d window does not fit in a %dx%d image" % (h, w, height, width))
    i = int(rng.integers(0, height - h + 1))   # high is excluded: H - h is the last valid row
    j = int(rng.integers(0, width - w + 1))
    return image[i:i + h, j:j + w].copy()
    ### END SOLUTION''',
    "tests": r'''# A 4x5 image whose values say where they are: 10 * row + column.
grid = (10 * np.arange(4)[:, None] + np.arange(5)[None, :]).astype(float).reshape(4, 5, 1)
grid_before = grid.copy()

window = np.asarray(random_crop(grid, (2, 3), np.random.default_rng(0)))
assert window.shape == (2, 3, 1), "a (2, 3) window of a (4, 5, 1) image has shape (2, 3, 1); got %s" % (window.shape,)
i, j = divmod(int(window[0, 0, 0]), 10)   # its top-left value tells where the window starts
assert np.array_equal(window, grid[i:i + 2, j:j + 3]), (
    "the result must be one window grid[i:i+2, j:j+3] of the image; got\n%s" % window[:, :, 0])
assert np.array_equal(grid, grid_before), "random_crop must not change its input"

# 300 crops with one generator: every one of the 3 x 3 corner positions comes up,
# the last one (i=2, j=2) included.
rng = np.random.default_rng(1)
corners = set()
for _ in range(300):
    w = np.asarray(random_crop(grid, (2, 3), rng))
    corners.add(divmod(int(w[0, 0, 0]), 10))
assert corners == {(i, j) for i in range(3) for j in range(3)}, (
    "over 300 calls every corner (i, j) with 0 <= i <= 2, 0 <= j <= 2 should come up; missing %s\n"
    "(rng.integers(0, high) never draws high: use rng.integers(0, H - h + 1))" %
    sorted({(i, j) for i in range(3) for j in range(3)} - corners))

# A window as large as the image has only one position: the whole image.
assert np.array_equal(random_crop(grid, (4, 5), np.random.default_rng(2)), grid), (
    "a (4, 5) window of a 4x5 image is the whole image")

# The same seed gives the same crop.
assert np.array_equal(random_crop(grid, (2, 2), np.random.default_rng(3)),
                      random_crop(grid, (2, 2), np.random.default_rng(3))), (
    "two generators with the same seed must give the same crop: draw only from rng")

for bad_size in [(5, 3), (2, 6)]:
    raised = False
    try:
        random_crop(grid, bad_size, np.random.default_rng(0))
    except ValueError:
        raised = True
    assert raised, "random_crop should raise ValueError: a %s window does not fit in a 4x5 image" % (bad_size,)
print("random_crop: visible tests passed")''',
    "correct": r'''image = np.array(image)
h, w = size
H, W = image.shape[0], image.shape[1]
if h > H or w > W:
    raise ValueError("the window is larger than the image")
i = rng.integers(0, H - h + 1)
j = rng.integers(0, W - w + 1)
return image[i:i + h, j:j + w].copy()''',
}

KERAS_LAYERS = r"""## Augmentation layers in Keras

Keras has the random transformations ready-made, as *preprocessing layers*.
Put into a `keras.Sequential`, they form an augmentation model that can sit at
the front of any network. The usual choice for photos (Chollet, *Deep Learning
with Python*) is:

```python
data_augmentation = keras.Sequential([
    layers.RandomFlip("horizontal"),
    layers.RandomRotation(0.1),
    layers.RandomZoom(0.2),
])
```

What the arguments mean is Keras' decision, not this course's:

* `RandomFlip("horizontal")` mirrors each image left-right with probability
  one half (`"vertical"` and `"horizontal_and_vertical"` also exist).
* `RandomRotation(0.1)` rotates by a random angle of up to 0.1 of a **full
  turn** either way, i.e. up to 36 degrees.
* `RandomZoom(0.2)` zooms in or out by up to 20 %, keeping the aspect ratio.
* The pixels that a rotation or a zoom uncovers are filled by reflecting the
  image (`fill_mode="reflect"`, the default). Each image of a batch gets its
  own random transformation.

**Only in training.** The layers change the images only when they are called
with `training=True`. Keras passes that flag itself during `model.fit`.
`model.predict`, `model.evaluate` and a plain call `model(x)` run with
`training=False`, and then the layers return the images unchanged. This is
what we want: at test time a network should see the real image and give the
same answer every time. Because Keras does this for you, your model needs no
code of its own for it.
"""

BUILD_AUGMENTATION = {
    "name": "build_augmentation",
    "signature": 'build_augmentation(flip="horizontal", rotation=0.1, zoom=0.2)',
    "points": 4,
    "text": r"""### Task 3: `build_augmentation(flip="horizontal", rotation=0.1, zoom=0.2)` (4 points)

* Returns a `keras.Sequential` of exactly three layers, **in this order**:
  `layers.RandomFlip(flip)`, `layers.RandomRotation(rotation)`,
  `layers.RandomZoom(zoom)`. Pass the arguments on, and do not hard-code the
  defaults.
* The model keeps the images' shape `(N, H, W, C)`. It changes them when
  called with `training=True` and leaves them unchanged with `training=False`.
  The Keras layers already behave this way.

The order is part of the task (it is the one Chollet uses), and the grader
checks it.
""",
    "solution": r'''def build_augmentation(flip="horizontal", rotation=0.1, zoom=0.2):
    """The lecture's data-augmentation model.

    Parameters
    ----------
    flip : mode of layers.RandomFlip ("horizontal", "vertical" or "horizontal_and_vertical").
    rotation : factor of layers.RandomRotation (a fraction of a full turn).
    zoom : factor of layers.RandomZoom.

    Returns
    -------
    keras.Sequential([RandomFlip(flip), RandomRotation(rotation), RandomZoom(zoom)]):
    random in training, the identity at inference, shape-preserving.
    """
    ### BEGIN SOLUTION
    return keras.Sequential(
        [
            layers.RandomFlip(flip),
            layers.RandomRotation(rotation),
            layers.RandomZoom(zoom),
        ],
        name="data_augmentation",
    )
    ### END SOLUTION''',
    "tests": r'''augmentation = build_augmentation()
assert isinstance(augmentation, keras.Sequential), (
    "build_augmentation must return a keras.Sequential, not %s" % type(augmentation).__name__)
kinds = [type(layer).__name__ for layer in augmentation.layers]
assert kinds == ["RandomFlip", "RandomRotation", "RandomZoom"], (
    "expected the layers RandomFlip, RandomRotation, RandomZoom, in this order; got %s" % kinds)

# The arguments reach the layers.
custom = build_augmentation(flip="vertical", rotation=0.2, zoom=0.1)
flip_layer, rotation_layer, zoom_layer = custom.layers
assert flip_layer.get_config()["mode"] == "vertical", "RandomFlip must get the flip argument"
assert np.allclose(np.abs(rotation_layer.get_config()["factor"]), 0.2), "RandomRotation must get the rotation argument"
assert np.isclose(zoom_layer.get_config()["height_factor"], 0.1), "RandomZoom must get the zoom argument"

# Two 16x16 grayscale images with values in [0, 255].
images = np.random.default_rng(0).uniform(0, 255, size=(2, 16, 16, 1)).astype("float32")
at_inference = keras.ops.convert_to_numpy(augmentation(images, training=False))
assert at_inference.shape == images.shape, "the model must keep the shape (2, 16, 16, 1)"
assert np.allclose(at_inference, images), "with training=False the images must come out unchanged"
keras.utils.set_random_seed(0)
in_training = keras.ops.convert_to_numpy(augmentation(images, training=True))
assert in_training.shape == images.shape, "the model must keep the shape in training too"
assert not np.allclose(in_training, images), "with training=True the images must change"
print("build_augmentation: visible tests passed")''',
    # One layer at a time, with Sequential.add.
    "correct": r'''model = keras.Sequential()
model.add(layers.RandomFlip(flip))
model.add(layers.RandomRotation(rotation))
model.add(layers.RandomZoom(zoom))
return model''',
    # The typical mistake: the right layers in another order (zoom first).
    "wrong": r'''model = keras.Sequential()
model.add(layers.RandomZoom(zoom))
model.add(layers.RandomFlip(flip))
model.add(layers.RandomRotation(rotation))
return model''',
}

SCRATCH = r"""## Try it yourself (not graded)

The cell below is yours. For example, load the course's digits with
`import coursedata` and `x_train, y_train, x_test, y_test = coursedata.load_target_task()`.
Nothing is downloaded: the images come with the course. Then pass a few
of them through `build_augmentation()(x_train[:4], training=True)` several
times and plot the results with `matplotlib`. Do the flipped digits still
look like the digits they are labelled as?
"""

CELLS = [
    {"id": "intro", "markdown": INTRO},
    {"id": "imports", "code": IMPORTS},
    {"id": "randomness", "markdown": RANDOMNESS},
    {"id": "flipping", "markdown": FLIPPING},
    {"task": RANDOM_FLIP},
    {"id": "cropping", "markdown": CROPPING},
    {"task": RANDOM_CROP},
    {"id": "augmentation-layers-in-keras", "markdown": KERAS_LAYERS},
    {"task": BUILD_AUGMENTATION},
    {"id": "scratch-text", "markdown": SCRATCH},
    {"id": "scratch", "code": "# Your experiments here: this cell is not graded."},
]
