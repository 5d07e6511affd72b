# expect: freeze_all_but_last=missing compile_for_fine_tuning=fail:learning-rate
# The lecture's 1e-5 typed in: right for the default only.
import keras


def compile_for_fine_tuning(model, learning_rate=1e-5):
    model.compile(optimizer=keras.optimizers.RMSprop(learning_rate=1e-5),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model
