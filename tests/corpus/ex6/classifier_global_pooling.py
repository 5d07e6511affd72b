# expect: extract_features=missing build_feature_classifier=fail build_frozen_model=missing feature_maps=missing message=test accuracy
# Averages the 4x4 feature maps away: the right structure, but it does not learn the task.
import keras
from keras import layers


def build_feature_classifier(feature_shape, num_classes):
    inputs = keras.Input(shape=feature_shape)
    x = layers.GlobalAveragePooling2D()(inputs) if len(feature_shape) == 3 else inputs
    x = layers.Dense(64, activation="relu")(x)
    x = layers.Dropout(0.5)(x)
    return keras.Model(inputs, layers.Dense(num_classes, activation="softmax")(x))
