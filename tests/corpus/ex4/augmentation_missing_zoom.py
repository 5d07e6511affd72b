# expect: random_flip=missing random_crop=missing build_augmentation=fail:missing-layer
import keras
from keras import layers


def build_augmentation(flip="horizontal", rotation=0.1, zoom=0.2):
    return keras.Sequential([layers.RandomFlip(flip), layers.RandomRotation(rotation)])
