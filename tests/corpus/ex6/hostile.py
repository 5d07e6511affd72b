# expect: extract_features=zero build_feature_classifier=zero build_frozen_model=zero feature_maps=zero message=Lambda layer
# A Lambda head and a custom Layer (code the grader would have to run to rebuild them: refused),
# the instructor's reference imported (the sandbox does not show it), and a process that ends itself.
import os
import numpy as np
import keras
from keras import layers


class Smuggle(layers.Layer):
    def call(self, x):
        return x


def extract_features(conv_base, images, batch_size=32):
    from reference.features import extract_features as theirs
    return theirs(conv_base, images, batch_size)


def build_feature_classifier(feature_shape, num_classes):
    inputs = keras.Input(shape=feature_shape)
    x = Smuggle()(layers.Flatten()(inputs))
    x = layers.Dropout(0.5)(layers.Dense(256, activation="relu")(x))
    return keras.Model(inputs, layers.Dense(num_classes, activation="softmax")(x))


def build_frozen_model(conv_base, num_classes, augmentation=None):
    conv_base.trainable = False
    inputs = keras.Input(shape=(16, 16, 1))
    x = layers.Flatten()(conv_base(inputs))
    x = layers.Lambda(lambda t: t * 1.0)(x)
    return keras.Model(inputs, layers.Dense(num_classes, activation="softmax")(x))


def feature_maps(model, layer_name, images):
    os._exit(3)
