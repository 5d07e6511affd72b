# expect: freeze_all_but_last=fail:n-zero-slice compile_for_fine_tuning=pass
# Listing 8.27 generalised without thinking of n = 0: layers[:-0] is empty.
import keras


def freeze_all_but_last(conv_base, n=4):
    if n < 0:
        raise ValueError("n must be >= 0")
    conv_base.trainable = True
    for layer in conv_base.layers[:-n]:
        layer.trainable = False
    return conv_base


def compile_for_fine_tuning(model, learning_rate=1e-5):
    model.compile(optimizer=keras.optimizers.RMSprop(learning_rate=learning_rate),
                  loss="sparse_categorical_crossentropy", metrics=["acc"])
    return model
