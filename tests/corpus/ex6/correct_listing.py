# expect: extract_features=pass build_feature_classifier=pass build_frozen_model=pass feature_maps=pass
# Chollet's option 1 and option 2: predict() for features, a functional Flatten head.
import numpy as np
import keras
from keras import layers


def extract_features(conv_base, images, batch_size=32):
    return conv_base.predict(images, batch_size=batch_size, verbose=0)


def build_feature_classifier(feature_shape, num_classes):
    inputs = keras.Input(shape=feature_shape)
    x = layers.Flatten()(inputs)
    x = layers.Dense(256, activation="relu")(x)
    x = layers.Dropout(0.5)(x)
    outputs = layers.Dense(num_classes, activation="softmax")(x)
    return keras.Model(inputs, outputs)


def build_frozen_model(conv_base, num_classes, augmentation=None):
    conv_base.trainable = False
    inputs = keras.Input(shape=(16, 16, 1))
    x = inputs
    if augmentation is not None:
        x = augmentation(x)
    x = conv_base(x)
    x = layers.Flatten()(x)
    x = layers.Dense(256, activation="relu")(x)
    x = layers.Dropout(0.5)(x)
    outputs = layers.Dense(num_classes, activation="softmax")(x)
    return keras.Model(inputs, outputs)


def feature_maps(model, layer_name, images):
    layer = model.get_layer(layer_name)
    extractor = keras.Model(model.inputs, layer.output)
    return extractor.predict(images, verbose=0)
