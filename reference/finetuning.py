"""ex7: fine-tuning with partial freezing (Chollet, listing 8.27)."""

import keras


def freeze_all_but_last(conv_base, n=4):
    """Make a base trainable, then freeze every layer but the last n.

    Inputs:
    - conv_base: keras.Model; its top-level layers are ``conv_base.layers``.
    - n: number of trailing layers left trainable, n >= 0. n = 0 freezes every
      layer; n >= len(conv_base.layers) leaves all trainable.

    Returns:
    - conv_base: the same object, modified in place (``conv_base.trainable``
      is True; ``layers[:-n]`` frozen, ``layers[-n:]`` trainable).

    Raises ValueError if n < 0.
    """
    n = int(n)
    if n < 0:
        raise ValueError(f"n must be >= 0, got {n}")
    conv_base.trainable = True
    layers = conv_base.layers
    num_frozen = max(len(layers) - n, 0)  # not layers[:-n]: n = 0 must freeze all
    # Set every layer's flag explicitly. Under the TensorFlow backend,
    # `conv_base.trainable = True` is skipped when the flag is already True, so
    # it would not re-enable layers frozen individually (e.g. by an earlier call).
    for i, layer in enumerate(layers):
        layer.trainable = i >= num_frozen
    return conv_base


def compile_for_fine_tuning(model, learning_rate=1e-5):
    """Compile a model for fine-tuning with a small learning rate.

    Inputs:
    - model: keras.Model ending in softmax probabilities.
    - learning_rate: RMSprop learning rate.

    Returns:
    - model: the same object, compiled with ``RMSprop(learning_rate)``, loss
      "sparse_categorical_crossentropy" and metrics ["accuracy"].
    """
    model.compile(optimizer=keras.optimizers.RMSprop(learning_rate=learning_rate),
                  loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model
