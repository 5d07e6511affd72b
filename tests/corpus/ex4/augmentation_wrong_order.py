# expect: random_flip=missing random_crop=missing build_augmentation=fail:augmentation-order
import keras
from keras import layers


def build_augmentation(flip="horizontal", rotation=0.1, zoom=0.2):
    return keras.Sequential([layers.RandomZoom(zoom), layers.RandomRotation(rotation), layers.RandomFlip(flip)])
