# expect: extract_features=missing build_feature_classifier=missing build_frozen_model=fail:augmentation-missing feature_maps=missing
# Calls the augmentation but then feeds the raw inputs to the base: the flip is not in the model.
import keras
from keras import layers


def build_frozen_model(conv_base, num_classes, augmentation=None):
    conv_base.trainable = False
    inputs = keras.Input(shape=(16, 16, 1))
    if augmentation is not None:
        augmented = augmentation(inputs)
    x = layers.Flatten()(conv_base(inputs))
    x = layers.Dropout(0.5)(layers.Dense(256, activation="relu")(x))
    return keras.Model(inputs, layers.Dense(num_classes, activation="softmax")(x))
