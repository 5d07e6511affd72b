# expect: freeze_all_but_last=missing compile_for_fine_tuning=fail:learning-rate
# optimizer="rmsprop" uses the default learning rate 1e-3, too large for fine-tuning.
def compile_for_fine_tuning(model, learning_rate=1e-5):
    model.compile(optimizer="rmsprop", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model
