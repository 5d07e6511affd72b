# attack: ex7 compiles with an Adam subclass named RMSprop that claims to live in keras.optimizers
# expect: freeze_all_but_last=pass compile_for_fine_tuning=zero
import keras


class RMSprop(keras.optimizers.Adam):
    pass


RMSprop.__module__ = "keras.optimizers"
RMSprop.__qualname__ = "RMSprop"


def freeze_all_but_last(conv_base, n=4):
    if n < 0:
        raise ValueError("n must be >= 0")
    conv_base.trainable = True
    for i, layer in enumerate(conv_base.layers):
        layer.trainable = i >= len(conv_base.layers) - n
    return conv_base


def compile_for_fine_tuning(model, learning_rate=1e-5):
    model.compile(optimizer=RMSprop(learning_rate), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model
