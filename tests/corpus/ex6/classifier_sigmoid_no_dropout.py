# expect: extract_features=missing build_feature_classifier=fail:not-softmax build_frozen_model=fail:not-softmax feature_maps=missing
# Sigmoid outputs (not a distribution over the classes).
import keras
from keras import layers


def build_feature_classifier(feature_shape, num_classes):
    inputs = keras.Input(shape=feature_shape)
    x = layers.Flatten()(inputs)
    x = layers.Dense(256, activation="relu")(x)
    return keras.Model(inputs, layers.Dense(num_classes, activation="sigmoid")(x))


def build_frozen_model(conv_base, num_classes, augmentation=None):
    conv_base.trainable = False
    inputs = keras.Input(shape=(16, 16, 1))
    x = augmentation(inputs) if augmentation is not None else inputs
    x = layers.Flatten()(conv_base(x))
    return keras.Model(inputs, layers.Dense(num_classes, activation="sigmoid")(x))
