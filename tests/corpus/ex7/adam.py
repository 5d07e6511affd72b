# expect: freeze_all_but_last=missing compile_for_fine_tuning=fail:wrong-optimizer
import keras


def compile_for_fine_tuning(model, learning_rate=1e-5):
    model.compile(optimizer=keras.optimizers.Adam(learning_rate),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model
