# expect: extract_features=missing build_feature_classifier=missing build_frozen_model=fail:augmentation-after-base feature_maps=missing
# Augments the feature maps instead of the images.
import keras
from keras import layers


def build_frozen_model(conv_base, num_classes, augmentation=None):
    conv_base.trainable = False
    inputs = keras.Input(shape=(16, 16, 1))
    x = conv_base(inputs)
    if augmentation is not None:
        x = augmentation(x)
    x = layers.Flatten()(x)
    x = layers.Dropout(0.5)(layers.Dense(256, activation="relu")(x))
    return keras.Model(inputs, layers.Dense(num_classes, activation="softmax")(x))
