'''Content of notebook ex6: feature extraction from a pre-trained model.

Plain data, read by ``exercises/build_notebooks.py`` (see exercises/README.md):
CELLS lists the notebook's cells in order; a ``{"task": ...}`` entry becomes
three cells (description, solution, autograded tests). Rebuild with
``python exercises/build_notebooks.py`` after editing.
'''

EXERCISE = "ex6"
NUMPY_ONLY = False   # a Keras exercise

INTRO = r"""# Exercise 6: feature extraction from a pre-trained model

Training a CNN from scratch takes many images. With only a few hundred of
them, there is a better way: take the convolutional layers of a network that
someone else trained on a large, related task, and reuse what they learned.
In this exercise you use a pre-trained convolutional base in the two ways the
lecture describes. You also look inside a trained model at what its layers
compute.

| Task | Points |
|---|---|
| `extract_features` | 2 |
| `build_feature_classifier` | 2 |
| `build_frozen_model` | 4 |
| `feature_maps` | 2 |
| **Total** | **10** |

**How to work.** In every solution cell, delete the line
`raise NotImplementedError()` and write your code in its place. Then run the
test cell below it. Those tests check shapes, layer kinds and which weights
are trainable. When you are graded, more is checked. For example, your
classifier is trained on the target task and must learn it.

**Conventions.** This exercise uses Keras 3 (`import keras`,
`from keras import layers`). Images are `(N, H, W, C)` batches,
channels-last. Where this notebook does not say what should happen, Keras
decides.

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

DATA = r"""## The pre-trained base and the target task

The course ships everything this exercise needs. **Nothing is downloaded.**

* **The base** is a small convolutional network, pre-trained on handwritten
  digits 0-4. It was trained with a classifier on top. The classifier was
  then thrown away, and only the convolutional base was kept. It takes
  `(N, 16, 16, 1)` grayscale images with pixel values in [0, 255] and
  returns `(N, 4, 4, 32)` feature maps. Its layers are `Rescaling`,
  `Conv2D`, `BatchNormalization`, `Activation`, `MaxPooling2D` and `Dropout`.
* **The target task** is the digits 5-9, relabelled 0-4 (label = digit - 5):
  719 training and 177 test images. The base has never seen these digits.
  The images are scikit-learn's 8 x 8 digit scans, enlarged to 16 x 16. They
  come with scikit-learn.

```python
import coursedata
conv_base = coursedata.load_pretrained_base()     # a fresh copy on every call
x_train, y_train, x_test, y_test = coursedata.load_target_task()
```

Every call of `load_pretrained_base()` returns a new, independent copy, so
you can freeze or change one without affecting the next. The cell below loads
both and shows the base's layers.
"""

LOAD = """import coursedata

conv_base = coursedata.load_pretrained_base()
x_train, y_train, x_test, y_test = coursedata.load_target_task()
print("training images", x_train.shape, "labels", y_train.shape, "test images", x_test.shape)
conv_base.summary()"""

OPTIONS = r"""## Reusing a convolutional base: two options

A trained CNN has two parts. Its **convolutional base** (convolutions and
pooling) turns an image into feature maps: edges and blobs in the first
layers, larger and more specific shapes further up. Its **classifier** (the
dense layers on top) turns these features into the classes of *its* task.
The classifier is useless for a new task, but the base's features are often
useful. The lecture gives two ways to put them to work:

1. **Feed the data through the base.** Run every image through the base
   *once*, keep the outputs and use them as the inputs ("predictors") of a
   small network of dense layers, trained on its own. This is fast, because
   the expensive convolutions run once per image and not in every epoch.
   Data augmentation is not possible, though, because each image passes
   through the base only once.
2. **Freeze the base and include it in the network.** Make the base's weights
   non-trainable and stack trainable dense layers on top. Train the whole
   model end to end. The base now runs in every epoch, which is slower. In
   exchange, you can put data augmentation in front of it.
"""

OPTION_1 = r"""## Option 1: extracting features

### Inference mode and training mode

This base contains `BatchNormalization` and `Dropout`, two layers that
behave differently during training. In **training mode** Dropout sets random
activations to zero, and BatchNormalization normalises with the statistics of
the current batch. In **inference mode** Dropout does nothing, and
BatchNormalization uses the statistics it stored during training. Features
for option 1 must be computed in inference mode. Otherwise they are noisy,
and they depend on which images share a batch.

Keras decides which mode runs. `model(x, training=False)`, a plain call
`model(x)` and `model.predict(x)` run in inference mode. `model.fit` trains
in training mode.
"""

EXTRACT_FEATURES = {
    "name": "extract_features",
    "signature": "extract_features(conv_base, images, batch_size=32)",
    "points": 2,
    "text": r"""### Task 1: `extract_features(conv_base, images, batch_size=32)` (2 points)

Option 1, first half.

* `conv_base`: a Keras model, for example the shipped base; `images`: an
  `(N, H, W, C)` array the base accepts; `batch_size`: how many images to pass
  through the base at a time.
* Returns: the base's outputs for all `images`, **in inference mode**, as a
  NumPy array (for the shipped base: shape `(N, 4, 4, 32)`). The result must
  not depend on `batch_size`.

`conv_base.predict(images, batch_size=batch_size, verbose=0)` does all of
this in one line. A loop over batches of `conv_base(batch, training=False)`
does it too.
""",
    "solution": r'''def extract_features(conv_base, images, batch_size=32):
    """The base's outputs for images, in inference mode (option 1 of the lecture).

    Parameters
    ----------
    conv_base : keras.Model taking (N, H, W, C) images.
    images : array (N, H, W, C).
    batch_size : images per forward pass.

    Returns
    -------
    ndarray (N, *conv_base.output_shape[1:]): conv_base(images, training=False).
    """
    ### BEGIN SOLUTION
    images = np.asarray(images, dtype="float32")
    # max(..., 1): no images still make one (empty) batch, so the result has the right shape.
    chunks = [keras.ops.convert_to_numpy(conv_base(images[start:start + batch_size], training=False))
              for start in range(0, max(len(images), 1), batch_size)]
    return np.concatenate(chunks, axis=0)
    ### END SOLUTION''',
    "tests": r'''import coursedata

base = coursedata.load_pretrained_base()
digits = coursedata.load_target_task()[0][:10]          # 10 training images, (10, 16, 16, 1)

features = extract_features(base, digits, batch_size=4)
assert isinstance(features, np.ndarray), "return a NumPy array, not %s" % type(features).__name__
assert features.shape == (10, 4, 4, 32), (
    "the base turns 10 images of 16x16x1 into (10, 4, 4, 32) features; got %s" % (features.shape,))
expected = keras.ops.convert_to_numpy(base(digits, training=False))
assert np.allclose(features, expected, atol=1e-4), (
    "the features must be the base's outputs in inference mode, base(images, training=False) "
    "(is Dropout active, or does BatchNormalization use the batch's statistics?)")
assert np.allclose(extract_features(base, digits, batch_size=32), features, atol=1e-4), (
    "the features must not depend on batch_size")
print("extract_features: visible tests passed")''',
    "correct": r'''return conv_base.predict(images, batch_size=batch_size, verbose=0)''',
}

CLASSIFIER = r"""### A classifier on the features

With the features extracted, option 1 needs a small network of dense layers
that learns the target task from them. Chollet's choice for this is:
`Flatten` (the `(4, 4, 32)` feature maps become a vector of 512 numbers), a
hidden `Dense(256, activation="relu")`, `Dropout(0.5)` against overfitting,
and a `Dense` output layer with one softmax unit per class. The layer sizes
are up to you. The grader only asks for at least one hidden `Dense` layer, a
`Dropout`, and softmax outputs.

Once the features are extracted, training is fast:

```python
train_features = extract_features(conv_base, x_train)
classifier = build_feature_classifier(train_features.shape[1:], 5)
classifier.compile(optimizer="rmsprop", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
classifier.fit(train_features, y_train, epochs=10, batch_size=32)
classifier.evaluate(extract_features(conv_base, x_test), y_test)
```

`"sparse_categorical_crossentropy"` is the loss for integer labels
(0, 1, ..., 4) with softmax outputs.
"""

BUILD_FEATURE_CLASSIFIER = {
    "name": "build_feature_classifier",
    "signature": "build_feature_classifier(feature_shape, num_classes)",
    "points": 2,
    "text": r"""### Task 2: `build_feature_classifier(feature_shape, num_classes)` (2 points)

Option 1, second half.

* `feature_shape`: the shape of one image's features, e.g. `(4, 4, 32)` (or
  already flat, e.g. `(512,)`); `num_classes`: the number of classes `K`.
* Returns: a `keras.Model` from `(N, *feature_shape)` inputs to `(N, K)`
  softmax probabilities, with **at least one hidden `Dense` layer** and a
  **`Dropout`** layer.
* Do not compile it: the grader compiles it with the sparse categorical
  cross-entropy loss, trains it on features of the target task, and checks
  that it learns.
""",
    "solution": r'''def build_feature_classifier(feature_shape, num_classes):
    """A dense classifier on extracted features (option 1 of the lecture).

    Parameters
    ----------
    feature_shape : shape of one image's features, e.g. (4, 4, 32).
    num_classes : number of classes K.

    Returns
    -------
    uncompiled keras.Model: Input(feature_shape) -> Flatten -> Dense(256, relu)
    -> Dropout(0.5) -> Dense(K, softmax).
    """
    ### BEGIN SOLUTION
    inputs = keras.Input(shape=tuple(feature_shape))
    x = layers.Flatten()(inputs)
    x = layers.Dense(256, activation="relu")(x)
    x = layers.Dropout(0.5)(x)
    outputs = layers.Dense(num_classes, activation="softmax")(x)
    return keras.Model(inputs, outputs, name="feature_classifier")
    ### END SOLUTION''',
    "tests": r'''classifier = build_feature_classifier((4, 4, 32), 5)
assert isinstance(classifier, keras.Model), "return a keras.Model, not %s" % type(classifier).__name__
kinds = [type(layer).__name__ for layer in classifier.layers]
assert kinds.count("Dense") >= 2, (
    "expected at least one hidden Dense layer and a Dense output layer; the layers are %s" % kinds)
assert "Dropout" in kinds, "expected a Dropout layer; the layers are %s" % kinds

# Three feature arrays in, three rows of 5 probabilities out.
probabilities = keras.ops.convert_to_numpy(classifier(np.ones((3, 4, 4, 32), dtype="float32")))
assert probabilities.shape == (3, 5), "3 feature arrays and 5 classes give shape (3, 5); got %s" % (probabilities.shape,)
assert np.all(probabilities >= 0) and np.allclose(probabilities.sum(axis=1), 1, atol=1e-4), (
    "each row must be softmax probabilities: non-negative, adding up to 1")

flat = build_feature_classifier((512,), 3)
assert tuple(flat.output_shape) == (None, 3), (
    "build_feature_classifier((512,), 3) must give (None, 3) outputs; got %s" % (flat.output_shape,))

# It learns: three epochs on the features of 300 target images (a second or two).
import coursedata

train_images, train_labels, test_images, test_labels = coursedata.load_target_task()
base = coursedata.load_pretrained_base()
keras.utils.set_random_seed(0)
learner = build_feature_classifier((4, 4, 32), 5)
learner.compile(optimizer="rmsprop", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
learner.fit(base.predict(train_images[:300], verbose=0), train_labels[:300], epochs=3, batch_size=32, verbose=0)
accuracy = learner.evaluate(base.predict(test_images, verbose=0), test_labels, verbose=0)[1]
assert accuracy > 0.6, (
    "after 3 epochs the classifier should get well above the 20 %% of guessing on the test images; "
    "got %.0f %% (check the activations: relu in the hidden layer, softmax at the end)" % (100 * accuracy))
print("build_feature_classifier: visible tests passed (test accuracy after 3 epochs: %.0f %%)" % (100 * accuracy))''',
    "correct": r'''model = keras.Sequential([
    keras.Input(shape=feature_shape),
    layers.Flatten(),
    layers.Dense(128, activation="relu"),
    layers.Dropout(0.5),
    layers.Dense(num_classes, activation="softmax"),
])
return model''',
}

FROZEN = r"""## Option 2: a frozen base in the model

In option 2 the base becomes a layer of a new model:

```
Input (16, 16, 1) -> [augmentation] -> conv_base (frozen) -> Flatten -> Dense -> Dropout -> Dense (softmax)
```

A model can be called like a layer: `x = conv_base(x)` puts the whole base
into the new model. **Freezing** it means `conv_base.trainable = False`,
before the model is compiled and trained. Then training updates only the new
head, and the base's pre-trained weights stay as they are. Without freezing,
the large, random gradients from the untrained head would run through the
base and destroy what it learned.

What happens in detail is Keras' decision:

* `conv_base.trainable = False` sets the flag of the base and of every layer
  inside it. The base then has no trainable weights
  (`conv_base.trainable_weights == []`). The model's `summary()` counts its
  weights as non-trainable.
* A frozen `BatchNormalization` layer always runs in inference mode, even
  during `fit`. `Dropout` has no weights, so freezing does not change it: it
  still drops activations during `fit`. That is fine.
* An augmentation model in front is active during `fit` only (exercise 4), so
  `predict` and `evaluate` see the real images.
"""

BUILD_FROZEN_MODEL = {
    "name": "build_frozen_model",
    "signature": "build_frozen_model(conv_base, num_classes, augmentation=None)",
    "points": 4,
    "text": r"""### Task 3: `build_frozen_model(conv_base, num_classes, augmentation=None)` (4 points)

* `conv_base`: a Keras model such as the shipped base; `num_classes`: the
  number of classes `K`; `augmentation`: a Keras model or layer, or `None`.
* Sets `conv_base.trainable = False`.
* Returns: a `keras.Model` that takes images of the base's input shape
  (`conv_base.input_shape[1:]`, here `(16, 16, 1)`) and applies, in this
  order: the augmentation model (only if one is given), the frozen base, then
  a trainable head ending in `Dense(K, activation="softmax")`.
* Only the head's weights may be trainable. The head's layers are up to
  you, e.g. `Flatten`, `Dense(256, activation="relu")`, `Dropout(0.5)`, then
  the output layer.
* Do not compile it.
""",
    "solution": r'''def build_frozen_model(conv_base, num_classes, augmentation=None):
    """A frozen pre-trained base with a trainable head (option 2 of the lecture).

    Parameters
    ----------
    conv_base : keras.Model, (N, H, W, C) images -> feature maps; frozen in place.
    num_classes : number of classes K.
    augmentation : optional keras model or layer applied to the inputs first.

    Returns
    -------
    uncompiled keras.Model: Input -> [augmentation] -> conv_base (frozen) ->
    Flatten -> Dense(256, relu) -> Dropout(0.5) -> Dense(K, softmax).
    """
    ### BEGIN SOLUTION
    conv_base.trainable = False
    inputs = keras.Input(shape=tuple(conv_base.input_shape[1:]))
    x = inputs
    if augmentation is not None:
        x = augmentation(x)
    x = conv_base(x)
    x = layers.Flatten()(x)
    x = layers.Dense(256, activation="relu")(x)
    x = layers.Dropout(0.5)(x)
    outputs = layers.Dense(num_classes, activation="softmax")(x)
    return keras.Model(inputs, outputs, name="frozen_model")
    ### END SOLUTION''',
    "tests": r'''import coursedata

base = coursedata.load_pretrained_base()
frozen = build_frozen_model(base, 5)
assert isinstance(frozen, keras.Model), "return a keras.Model, not %s" % type(frozen).__name__
assert base.trainable is False, "the base must be frozen: set conv_base.trainable = False"
assert any(layer is base for layer in frozen.layers), (
    "the base itself must be a layer of the model: x = conv_base(x)")
assert tuple(frozen.input_shape) == (None, 16, 16, 1), (
    "the model takes the base's (16, 16, 1) images; its input is %s" % (frozen.input_shape,))
assert tuple(frozen.output_shape) == (None, 5), "5 classes give (None, 5) outputs; got %s" % (frozen.output_shape,)
base_weights = {id(w) for w in base.weights}
trainable_in_base = [w.path for w in frozen.trainable_weights if id(w) in base_weights]
assert not trainable_in_base, "only the head may be trainable, but these base weights are: %s" % trainable_in_base
assert len(frozen.trainable_weights) > 0, "the head must be trainable"

digits = coursedata.load_target_task()[0][:3]
probabilities = keras.ops.convert_to_numpy(frozen(digits))
assert probabilities.shape == (3, 5), "3 images give (3, 5) probabilities; got %s" % (probabilities.shape,)
assert np.allclose(probabilities.sum(axis=1), 1, atol=1e-4), "the outputs must be softmax probabilities"

# With an augmentation model: it comes first, before the base.
flip = keras.Sequential([layers.RandomFlip("horizontal")], name="flip")
augmented = build_frozen_model(coursedata.load_pretrained_base(), 5, augmentation=flip)
order = [layer.name for layer in augmented.layers]
assert "flip" in order, "the augmentation model must be a layer of the model: x = augmentation(x)"
assert order.index("flip") < order.index("pretrained_base"), (
    "the augmentation comes before the base; the layers are in the order %s" % order)
print("build_frozen_model: visible tests passed")''',
    "correct": r'''conv_base.trainable = False
inputs = keras.Input(shape=conv_base.input_shape[1:])
x = inputs
if augmentation is not None:
    x = augmentation(x)
x = conv_base(x)
x = layers.Flatten()(x)
x = layers.Dense(128, activation="relu")(x)
x = layers.Dropout(0.3)(x)
outputs = layers.Dense(num_classes, activation="softmax")(x)
return keras.Model(inputs, outputs)''',
    # The typical mistake: the base is never frozen, so its weights train too.
    "wrong": r'''inputs = keras.Input(shape=conv_base.input_shape[1:])
x = inputs
if augmentation is not None:
    x = augmentation(x)
x = conv_base(x)
x = layers.Flatten()(x)
x = layers.Dense(128, activation="relu")(x)
x = layers.Dropout(0.3)(x)
outputs = layers.Dense(num_classes, activation="softmax")(x)
return keras.Model(inputs, outputs)''',
}

INSIDE = r"""## Feature maps of a trained model

What does a layer of a trained network respond to? Its output for an image,
the layer's **feature maps** (or *activations*), shows it. Each channel is one
filter's map, and it lights up where that filter's pattern appears. These
feature representations are useful on their own too, as inputs for another
model, just like the features of option 1.

In Keras you get them with a second model that shares the first one's layers
and weights. It has the same input but ends at the layer you want:

```python
layer = model.get_layer("conv1")
extractor = keras.Model(inputs=model.inputs, outputs=layer.output)
maps = extractor.predict(images, verbose=0)      # inference mode
```

Write `model.inputs` (a list), not `model.input`. In Keras 3 a `Sequential`
model, such as the shipped base, raises an `AttributeError` for `model.input`
and `model.output`. `model.inputs`, `model.input_shape` and
`model.output_shape` work for both kinds of model.

`model.get_layer(name)` finds only the model's **top-level** layers, the ones
in `model.layers`. The shipped base's layers are `rescaling`, `conv1`, `bn1`,
`relu1`, `pool1`, `dropout1`, `conv2`, `bn2`, `relu2` and `pool2`. In a model
from `build_frozen_model`, the whole base is one layer, named
`pretrained_base`. For a name the model does not have, Keras raises
`ValueError`.
"""

FEATURE_MAPS = {
    "name": "feature_maps",
    "signature": "feature_maps(model, layer_name, images)",
    "points": 2,
    "text": r"""### Task 4: `feature_maps(model, layer_name, images)` (2 points)

* `model`: a built Keras model (functional or `Sequential`, e.g. the shipped
  base); `layer_name`: the name of one of its top-level layers; `images`: an
  `(N, H, W, C)` batch the model accepts.
* Returns: the activations of that layer when `model` runs on `images` in
  inference mode, as a NumPy array of shape `(N, *layer_output_shape)`.
  For the shipped base and `"conv1"` this is `(N, 16, 16, 16)`.
* Raises `ValueError` if the model has no layer of that name. Keras'
  `get_layer` already does this, so you may let its error through.
""",
    "solution": r'''def feature_maps(model, layer_name, images):
    """The activations of one top-level layer of a model, in inference mode.

    Parameters
    ----------
    model : a built keras.Model (functional or Sequential).
    layer_name : name of a top-level layer, found with model.get_layer.
    images : array (N, H, W, C), valid input for model.

    Returns
    -------
    ndarray (N, *layer output shape): the layer's output when model runs on images.

    Raises
    ------
    ValueError if model has no layer named layer_name.
    """
    ### BEGIN SOLUTION
    try:
        layer = model.get_layer(layer_name)
    except ValueError as error:
        raise ValueError("model %r has no layer named %r" % (model.name, layer_name)) from error
    inputs = model.inputs[0] if len(model.inputs) == 1 else model.inputs
    extractor = keras.Model(inputs, layer.output)
    images = np.asarray(images, dtype="float32")
    return keras.ops.convert_to_numpy(extractor(images, training=False))
    ### END SOLUTION''',
    "tests": r'''import coursedata

base = coursedata.load_pretrained_base()
digits = coursedata.load_target_task()[0][:3]

first = feature_maps(base, "conv1", digits)
assert isinstance(first, np.ndarray), "return a NumPy array, not %s" % type(first).__name__
assert first.shape == (3, 16, 16, 16), "conv1 has 16 filters and keeps 16x16: expected (3, 16, 16, 16); got %s" % (first.shape,)
last = feature_maps(base, "pool2", digits)
assert last.shape == (3, 4, 4, 32), "pool2 gives (3, 4, 4, 32); got %s" % (last.shape,)
assert np.allclose(last, keras.ops.convert_to_numpy(base(digits, training=False)), atol=1e-4), (
    "pool2 is the base's last layer, so its maps are the base's outputs in inference mode")

# In inference mode Dropout does nothing: its maps equal those of the layer before it.
assert np.allclose(feature_maps(base, "dropout1", digits), feature_maps(base, "pool1", digits), atol=1e-5), (
    "dropout1 must pass pool1's maps through unchanged: run the model in inference mode")

# A functional model with a layer named "edges".
inputs = keras.Input(shape=(6, 6, 1))
edges = layers.Conv2D(2, 3, name="edges")(inputs)
small = keras.Model(inputs, layers.GlobalAveragePooling2D()(edges))
assert feature_maps(small, "edges", np.zeros((2, 6, 6, 1))).shape == (2, 4, 4, 2), (
    "the 'edges' layer of a functional model gives (2, 4, 4, 2) for two 6x6x1 images")

raised = False
try:
    feature_maps(base, "no_such_layer", digits)
except ValueError:
    raised = True
assert raised, "feature_maps should raise ValueError for a layer name the model does not have"
print("feature_maps: visible tests passed")''',
    "correct": r'''layer = model.get_layer(layer_name)   # ValueError if there is no such layer
extractor = keras.Model(inputs=model.inputs, outputs=layer.output)
return extractor.predict(images, verbose=0)''',
}

SCRATCH = r"""## Try it yourself (not graded)

The cell below is yours. Some ideas:

* Compare the two options on the target task. Train the classifier of option 1
  on extracted features (see the example above). Then compile the model of
  option 2 (`optimizer="rmsprop"`, `loss="sparse_categorical_crossentropy"`,
  `metrics=["accuracy"]`), train it on `x_train` directly, and evaluate both on
  the test images. Which one is faster per epoch, and why?
* Show the 16 channels of `feature_maps(conv_base, "conv1", x_train[:1])` as
  images with `matplotlib`. Which filters respond to edges?
"""

CELLS = [
    {"id": "intro", "markdown": INTRO},
    {"id": "imports", "code": IMPORTS},
    {"id": "the-base-and-the-data", "markdown": DATA},
    {"id": "load", "code": LOAD},
    {"id": "two-options", "markdown": OPTIONS},
    {"id": "option-1-extracting-features", "markdown": OPTION_1},
    {"task": EXTRACT_FEATURES},
    {"id": "a-classifier-on-the-features", "markdown": CLASSIFIER},
    {"task": BUILD_FEATURE_CLASSIFIER},
    {"id": "option-2-a-frozen-base-in-the-model", "markdown": FROZEN},
    {"task": BUILD_FROZEN_MODEL},
    {"id": "feature-maps-of-a-trained-model", "markdown": INSIDE},
    {"task": FEATURE_MAPS},
    {"id": "scratch-text", "markdown": SCRATCH},
    {"id": "scratch", "code": "# Your experiments here: this cell is not graded."},
]
