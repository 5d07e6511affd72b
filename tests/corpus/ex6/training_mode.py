# expect: extract_features=fail:training-mode build_feature_classifier=pass build_frozen_model=pass feature_maps=fail:training-mode
# Calls the base in training mode: BatchNormalization uses batch statistics, Dropout drops.
import numpy as np
import keras
from keras import layers


def extract_features(conv_base, images, batch_size=32):
    return keras.ops.convert_to_numpy(conv_base(images, training=True))


def build_feature_classifier(feature_shape, num_classes):
    inputs = keras.Input(shape=feature_shape)
    x = layers.Flatten()(inputs)
    x = layers.Dense(256, activation="relu")(x)
    x = layers.Dropout(0.5)(x)
    return keras.Model(inputs, layers.Dense(num_classes, activation="softmax")(x))


def build_frozen_model(conv_base, num_classes, augmentation=None):
    conv_base.trainable = False
    inputs = keras.Input(shape=(16, 16, 1))
    x = augmentation(inputs) if augmentation is not None else inputs
    x = layers.Flatten()(conv_base(x))
    x = layers.Dropout(0.5)(layers.Dense(256, activation="relu")(x))
    return keras.Model(inputs, layers.Dense(num_classes, activation="softmax")(x))


def feature_maps(model, layer_name, images):
    sub = keras.Model(model.inputs, model.get_layer(layer_name).output)
    return keras.ops.convert_to_numpy(sub(images, training=True))
