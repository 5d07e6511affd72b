# expect: random_flip=missing random_crop=missing build_augmentation=fail:factors-not-passed
# The lecture's values typed in: right for the defaults only.
import keras
from keras import layers


def build_augmentation(flip="horizontal", rotation=0.1, zoom=0.2):
    return keras.Sequential([layers.RandomFlip("horizontal"), layers.RandomRotation(0.1), layers.RandomZoom(0.2)])
