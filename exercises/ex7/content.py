'''Content of notebook ex7: fine-tuning with partial freezing.

Plain data, read by ``exercises/build_notebooks.py`` (see exercises/README.md):
CELLS lists the notebook's cells in order; a ``{"task": ...}`` entry becomes
three cells (description, solution, autograded tests). Rebuild with
``python exercises/build_notebooks.py`` after editing.
'''

EXERCISE = "ex7"
NUMPY_ONLY = False   # a Keras exercise

INTRO = r"""# Exercise 7: fine-tuning with partial freezing

Feature extraction (exercise 6) uses a pre-trained base exactly as it is.
**Fine-tuning** goes one step further. It unfreezes the last few layers of the
base and trains them together with the new classifier, so that the base's
most specific features adapt to the new task. In this exercise you write the
two steps that set this up: freezing all but the last layers of the base,
and compiling with a learning rate small enough not to wreck what the base
already knows.

| Task | Points |
|---|---|
| `freeze_all_but_last` | 5 |
| `compile_for_fine_tuning` | 5 |
| **Total** | **10** |

**How to work.** In every solution cell, delete the line
`raise NotImplementedError()` and write your code in its place. Then run the
test cell below it. Those tests check the trainable flags and the compile
settings on a few cases. When you are graded, more cases are tried, and a
training step checks that exactly the right weights move.

**Conventions.** This exercise uses Keras 3 (`import keras`,
`from keras import layers`). Where this notebook does not say what should
happen, Keras decides.

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

DATA = r"""## The pre-trained base

This exercise uses the same small convolutional base as exercise 6,
pre-trained on the digits 0-4, and the same target task, the digits 5-9
relabelled 0-4. Both ship with the course. **Nothing is downloaded.**

```python
import coursedata
conv_base = coursedata.load_pretrained_base()     # a fresh, trainable copy on every call
x_train, y_train, x_test, y_test = coursedata.load_target_task()
```

The cell below loads the base and lists its layers, numbered as they appear
in `conv_base.layers`.
"""

LOAD = """import coursedata

conv_base = coursedata.load_pretrained_base()
x_train, y_train, x_test, y_test = coursedata.load_target_task()
for index, layer in enumerate(conv_base.layers):
    print(index, layer.name, type(layer).__name__, "weights:", len(layer.weights), "trainable:", layer.trainable)"""

FINE_TUNING = r"""## Fine-tuning

A convolutional base learns general things in its first layers, such as edges,
corners and blobs, which are useful for almost any images. Its last layers
combine them into shapes that are more specific to the task it was trained
on. Fine-tuning therefore keeps the first layers frozen and lets only the
**last few layers** of the base train, together with your classifier on top.
Training fewer weights also means less overfitting on a small dataset.

The order of the steps matters (Chollet, *Deep Learning with Python*):

1. Put a new classifier on top of the base.
2. Freeze the whole base, and train only the classifier (exercise 6, option 2).
3. Unfreeze the last few layers of the base.
4. Train those layers and the classifier together, with a **very low
   learning rate**.

Why not unfreeze from the start? A new classifier begins with random weights.
Its first gradients are large and essentially random, and they would run back
into the base and destroy the features it learned. Only once the classifier
has learned something are the gradients small and meaningful enough to adjust
the base. Even then they should change it only a little, hence the low
learning rate.
"""

FREEZING = r"""## Freezing all layers but the last few

The lecture's listing 8.27 leaves the last four layers trainable:

```python
conv_base.trainable = True
for layer in conv_base.layers[:-4]:
    layer.trainable = False
```

First the whole base is made trainable again (step 2 froze it). Then every
layer except the last four is frozen. `conv_base.layers` lists the base's
layers in order, including those without weights. For the shipped base,
`layers[:-4]` is everything up to `dropout1`, and `conv2`, `bn2`, `relu2`
and `pool2` stay trainable.

**Careful with `n = 0`.** Written for a general `n`, the listing becomes
`conv_base.layers[:-n]`. For `n = 0` that is `conv_base.layers[:0]`,
because `-0` is just `0`. That is an empty list, so nothing is frozen, when
every layer should be. Count the frozen layers instead:
`len(conv_base.layers) - n` of them, and none if that is negative.

What the flags mean is Keras' decision, and four details matter here:

* `model.trainable = False` (or `True`) sets the flag of the model *and of
  every layer inside it*. A single layer's flag can then be changed on its
  own.
* A layer's weights are updated only if the layer's flag is `True`. The
  `BatchNormalization` layers' moving mean and variance are never trainable
  weights; they are statistics that training updates on its own. Layers
  without weights (`Activation`, `MaxPooling2D`, `Dropout`) count in
  `conv_base.layers`, but freezing them changes nothing.
* With the TensorFlow backend, `conv_base.trainable = True` does nothing at
  all when the flag is already `True`, which is the case for a freshly loaded
  base. It does not unfreeze layers that were frozen one by one before. If
  your function may be called on a base whose layers were frozen earlier, set
  every layer's flag explicitly.
* Changed flags take effect when the model is compiled. Compile (again) after
  freezing, and that is the next task.
"""

FREEZE_ALL_BUT_LAST = {
    "name": "freeze_all_but_last",
    "signature": "freeze_all_but_last(conv_base, n=4)",
    "points": 5,
    "text": r"""### Task 1: `freeze_all_but_last(conv_base, n=4)` (5 points)

* `conv_base`: a Keras model, trainable or frozen when it arrives; `n`: how
  many of its last layers stay trainable.
* Makes the base trainable (`conv_base.trainable` is `True` afterwards), then
  freezes every layer of `conv_base.layers` except the last `n`, which are
  trainable.
* `n = 0` freezes every layer. If `n` is at least the number of layers,
  every layer is trainable.
* Returns the same `conv_base` object, changed in place.
* Raises `ValueError` if `n < 0`.
""",
    "solution": r'''def freeze_all_but_last(conv_base, n=4):
    """Make a base trainable, then freeze every layer but the last n (listing 8.27).

    Parameters
    ----------
    conv_base : keras.Model; its layers are conv_base.layers.
    n : number of trailing layers left trainable, n >= 0.

    Returns
    -------
    conv_base itself, with conv_base.trainable True, its first len(layers) - n
    layers frozen and the last n trainable.

    Raises
    ------
    ValueError if n < 0.
    """
    ### BEGIN SOLUTION
    if n < 0:
        raise ValueError("n must be >= 0, got %r" % (n,))
    conv_base.trainable = True
    num_frozen = max(len(conv_base.layers) - n, 0)   # not layers[:-n]: n = 0 must freeze every layer
    for layer in conv_base.layers[:num_frozen]:
        layer.trainable = False
    for layer in conv_base.layers[num_frozen:]:      # explicitly: they may have been frozen before
        layer.trainable = True
    return conv_base
    ### END SOLUTION''',
    "tests": r'''import coursedata

def flags(base):
    return [layer.trainable for layer in base.layers]

# The shipped base has 10 layers: n = 4 leaves conv2, bn2, relu2 and pool2 trainable.
base = coursedata.load_pretrained_base()
returned = freeze_all_but_last(base)
assert returned is base, "return the same conv_base object you were given"
assert base.trainable, "the base itself must be trainable: conv_base.trainable = True"
assert flags(base) == [False] * 6 + [True] * 4, (
    "with the default n = 4, the first 6 layers are frozen and the last 4 trainable; the flags are %s" % flags(base))
assert len(base.trainable_weights) == 4, (
    "conv2's kernel and bias and bn2's gamma and beta should be trainable: 4 weights, not %d" %
    len(base.trainable_weights))

# A base that arrives frozen is made trainable first.
frozen = coursedata.load_pretrained_base()
frozen.trainable = False
freeze_all_but_last(frozen, 2)
assert frozen.trainable, "a base that arrives frozen must be made trainable: conv_base.trainable = True"
assert flags(frozen) == [False] * 8 + [True] * 2, "n = 2 leaves the last 2 layers trainable; the flags are %s" % flags(frozen)

# n = 0 freezes every layer.
nothing = freeze_all_but_last(coursedata.load_pretrained_base(), 0)
assert flags(nothing) == [False] * 10, (
    "n = 0 must freeze every layer; the flags are %s\n"
    "(conv_base.layers[:-0] is conv_base.layers[:0], an empty list: count len(conv_base.layers) - n instead)" %
    flags(nothing))

# n at least the number of layers: all trainable.
for n in (10, 15):
    everything = freeze_all_but_last(coursedata.load_pretrained_base(), n)
    assert flags(everything) == [True] * 10, "n = %d leaves every layer trainable; the flags are %s" % (n, flags(everything))

raised = False
try:
    freeze_all_but_last(coursedata.load_pretrained_base(), -1)
except ValueError:
    raised = True
assert raised, "freeze_all_but_last should raise ValueError for n = -1"
print("freeze_all_but_last: visible tests passed")''',
    # Every layer's flag in one loop, by its position.
    "correct": r'''if n < 0:
    raise ValueError("n must not be negative")
conv_base.trainable = True
first_trainable = len(conv_base.layers) - n
for i, layer in enumerate(conv_base.layers):
    layer.trainable = i >= first_trainable
return conv_base''',
    # The typical mistake: the listing with layers[:-n], which freezes nothing for n = 0.
    "wrong": r'''if n < 0:
    raise ValueError("n must not be negative")
conv_base.trainable = True
for layer in conv_base.layers[:-n]:
    layer.trainable = False
return conv_base''',
}

COMPILING = r"""## Compiling for fine-tuning

Chollet compiles the partly unfrozen model like this:

```python
model.compile(loss="sparse_categorical_crossentropy",
              optimizer=keras.optimizers.RMSprop(learning_rate=1e-5),
              metrics=["accuracy"])
```

* **`RMSprop(learning_rate=1e-5)`**: the usual RMSprop learning rate is
  `1e-3`, and a hundred times smaller keeps each update to the pre-trained
  weights tiny. The optimizer must be an object here, because a string such
  as `"rmsprop"` always uses the default learning rate.
* **`"sparse_categorical_crossentropy"`**: the loss for softmax outputs and
  integer labels 0, 1, ..., K - 1, such as the target task's `y_train`.
  (`"categorical_crossentropy"` would expect one-hot labels.)
* **`metrics=["accuracy"]`**: report the fraction of correct predictions
  while training.

`compile` changes the model in place and returns `None`. Your function
returns the model itself, so that calls can be chained:
`compile_for_fine_tuning(model).fit(x_train, y_train, epochs=5)`.
"""

COMPILE_FOR_FINE_TUNING = {
    "name": "compile_for_fine_tuning",
    "signature": "compile_for_fine_tuning(model, learning_rate=1e-5)",
    "points": 5,
    "text": r"""### Task 2: `compile_for_fine_tuning(model, learning_rate=1e-5)` (5 points)

* `model`: a Keras model ending in softmax probabilities; `learning_rate`:
  the optimizer's learning rate.
* Compiles `model` with the optimizer `keras.optimizers.RMSprop(learning_rate)`,
  the loss `"sparse_categorical_crossentropy"` and the metrics `["accuracy"]`.
* Returns the same `model` object.
""",
    "solution": r'''def compile_for_fine_tuning(model, learning_rate=1e-5):
    """Compile a model for fine-tuning: RMSprop with a small learning rate.

    Parameters
    ----------
    model : keras.Model ending in softmax probabilities.
    learning_rate : the RMSprop learning rate.

    Returns
    -------
    model itself, compiled with RMSprop(learning_rate), the loss
    "sparse_categorical_crossentropy" and the metrics ["accuracy"].
    """
    ### BEGIN SOLUTION
    model.compile(optimizer=keras.optimizers.RMSprop(learning_rate=learning_rate),
                  loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model
    ### END SOLUTION''',
    "tests": r'''def tiny_model():
    return keras.Sequential([keras.Input(shape=(4,)), layers.Dense(3, activation="softmax")])

tiny = tiny_model()
returned = compile_for_fine_tuning(tiny)
assert returned is tiny, "return the model you were given (model.compile itself returns None)"
assert isinstance(tiny.optimizer, keras.optimizers.RMSprop), (
    "the optimizer must be keras.optimizers.RMSprop, not %s" % type(tiny.optimizer).__name__)
assert np.isclose(float(tiny.optimizer.learning_rate), 1e-5, rtol=1e-3), (
    "the default learning rate is 1e-5; got %g" % float(tiny.optimizer.learning_rate))
config = tiny.get_compile_config()
assert config["loss"] == "sparse_categorical_crossentropy", (
    "the loss must be \"sparse_categorical_crossentropy\" (integer labels); got %r" % (config["loss"],))
assert config["metrics"] == ["accuracy"], "the metrics must be [\"accuracy\"]; got %r" % (config["metrics"],)

other = compile_for_fine_tuning(tiny_model(), learning_rate=3e-4)
assert np.isclose(float(other.optimizer.learning_rate), 3e-4, rtol=1e-3), (
    "learning_rate=3e-4 must reach the optimizer; got %g" % float(other.optimizer.learning_rate))

# A compiled model trains: one small step on 8 random samples.
history = other.fit(np.ones((8, 4), dtype="float32"), np.arange(8) % 3, epochs=1, verbose=0)
assert "accuracy" in history.history, "training should report the accuracy"
print("compile_for_fine_tuning: visible tests passed")''',
    "correct": r'''optimizer = keras.optimizers.RMSprop(learning_rate)
model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy", metrics=["accuracy"])
return model''',
}

SCRATCH = r"""## Try it yourself (not graded)

The cell below is yours. Put the steps together on the target task and
compare with exercise 6:

```python
base = coursedata.load_pretrained_base()
base.trainable = False
inputs = keras.Input(shape=(16, 16, 1))
x = base(inputs)
x = layers.Flatten()(x)
x = layers.Dense(256, activation="relu")(x)
x = layers.Dropout(0.5)(x)
outputs = layers.Dense(5, activation="softmax")(x)
model = keras.Model(inputs, outputs)

model.compile(optimizer="rmsprop", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
model.fit(x_train, y_train, epochs=10, validation_data=(x_test, y_test))    # step 2: the head only

freeze_all_but_last(base, 4)                                                # step 3
compile_for_fine_tuning(model, 1e-5)                                        # compile again
model.fit(x_train, y_train, epochs=10, validation_data=(x_test, y_test))    # step 4
```

Look at `model.summary()` before and after `freeze_all_but_last`. How many
parameters are trainable each time?
"""

CELLS = [
    {"id": "intro", "markdown": INTRO},
    {"id": "imports", "code": IMPORTS},
    {"id": "the-pre-trained-base", "markdown": DATA},
    {"id": "load", "code": LOAD},
    {"id": "fine-tuning", "markdown": FINE_TUNING},
    {"id": "freezing-all-layers-but-the-last-few", "markdown": FREEZING},
    {"task": FREEZE_ALL_BUT_LAST},
    {"id": "compiling-for-fine-tuning", "markdown": COMPILING},
    {"task": COMPILE_FOR_FINE_TUNING},
    {"id": "scratch-text", "markdown": SCRATCH},
    {"id": "scratch", "code": "# Your experiments here: this cell is not graded."},
]
