# expect: freeze_all_but_last=pass compile_for_fine_tuning=pass
# Index arithmetic (no slicing pitfall), and the loss and metric given as objects.
import keras


def freeze_all_but_last(conv_base, n=4):
    if n < 0:
        raise ValueError("n must not be negative")
    conv_base.trainable = True
    first_trainable = len(conv_base.layers) - n
    for index, layer in enumerate(conv_base.layers):
        layer.trainable = index >= first_trainable
    return conv_base


def compile_for_fine_tuning(model, learning_rate=1e-5):
    model.compile(optimizer=keras.optimizers.RMSprop(learning_rate),
                  loss=keras.losses.SparseCategoricalCrossentropy(),
                  metrics=[keras.metrics.SparseCategoricalAccuracy()])
    return model
