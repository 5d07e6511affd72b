# attack: ex6 build_frozen_model puts ten weightless layers named like the base's layers, and no base
# expect: extract_features=pass build_feature_classifier=pass build_frozen_model=zero feature_maps=pass
import keras
from keras import layers

NAMES = ["rescaling", "conv1", "bn1", "relu1", "pool1", "dropout1", "conv2", "bn2", "relu2", "pool2"]


def extract_features(conv_base, images, batch_size=32):
    return conv_base.predict(images, batch_size=batch_size, verbose=0)


def build_feature_classifier(feature_shape, num_classes):
    inputs = keras.Input(shape=feature_shape)
    x = layers.Dropout(0.5)(layers.Dense(256, activation="relu")(layers.Flatten()(inputs)))
    return keras.Model(inputs, layers.Dense(num_classes, activation="softmax")(x))


def build_frozen_model(conv_base, num_classes, augmentation=None):
    inputs = keras.Input(shape=(16, 16, 1))
    x = inputs if augmentation is None else augmentation(inputs)
    for name in NAMES:
        x = layers.Activation("linear", name=name)(x)
    x = layers.Flatten()(x)
    return keras.Model(inputs, layers.Dense(num_classes, activation="softmax")(x))


def feature_maps(model, layer_name, images):
    layer = model.get_layer(layer_name)
    return keras.Model(model.inputs, layer.output).predict(images, verbose=0)
