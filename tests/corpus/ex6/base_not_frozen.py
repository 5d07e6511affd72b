# expect: extract_features=missing build_feature_classifier=missing build_frozen_model=fail:base-not-frozen feature_maps=missing
# Forgets conv_base.trainable = False: training would wreck the pre-trained weights.
import keras
from keras import layers


def build_frozen_model(conv_base, num_classes, augmentation=None):
    inputs = keras.Input(shape=(16, 16, 1))
    x = augmentation(inputs) if augmentation is not None else inputs
    x = layers.Flatten()(conv_base(x))
    x = layers.Dropout(0.5)(layers.Dense(256, activation="relu")(x))
    return keras.Model(inputs, layers.Dense(num_classes, activation="softmax")(x))
