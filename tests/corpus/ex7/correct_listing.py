# expect: freeze_all_but_last=pass compile_for_fine_tuning=pass
# Chollet's listing 8.27, with n = 0 handled before slicing.
import keras


def freeze_all_but_last(conv_base, n=4):
    if n < 0:
        raise ValueError("n must be >= 0")
    conv_base.trainable = True
    if n == 0:
        for layer in conv_base.layers:
            layer.trainable = False
    else:
        for layer in conv_base.layers[:-n]:
            layer.trainable = False
    return conv_base


def compile_for_fine_tuning(model, learning_rate=1e-5):
    model.compile(optimizer=keras.optimizers.RMSprop(learning_rate=learning_rate),
                  loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model
