# expect: freeze_all_but_last=fail compile_for_fine_tuning=fail:categorical-crossentropy message=return conv_base
# One-hot loss for integer labels; neither function returns anything.
import keras


def freeze_all_but_last(conv_base, n=4):
    if n < 0:
        raise ValueError("n must be >= 0")
    conv_base.trainable = True
    for layer in conv_base.layers[:len(conv_base.layers) - n]:
        layer.trainable = False


def compile_for_fine_tuning(model, learning_rate=1e-5):
    model.compile(optimizer=keras.optimizers.RMSprop(learning_rate),
                  loss="categorical_crossentropy", metrics=["accuracy"])
