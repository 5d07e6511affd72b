# expect: extract_features=pass build_feature_classifier=pass build_frozen_model=pass feature_maps=pass
# Other valid styles: batches by hand with training=False, a Sequential classifier, a
# Sequential frozen model with a GlobalAveragePooling2D head, feature maps by running the
# layers one by one.
import numpy as np
import keras
from keras import layers


def extract_features(conv_base, images, batch_size=32):
    batches = []
    for start in range(0, len(images), batch_size):
        batch = images[start:start + batch_size]
        batches.append(keras.ops.convert_to_numpy(conv_base(batch, training=False)))
    return np.concatenate(batches)


def build_feature_classifier(feature_shape, num_classes):
    return keras.Sequential([
        keras.Input(shape=feature_shape),
        layers.Flatten(),
        layers.Dense(128, activation="relu"),
        layers.Dropout(0.3),
        layers.Dense(64, activation="relu"),
        layers.Dense(num_classes, activation="softmax"),
    ])


def build_frozen_model(conv_base, num_classes, augmentation=None):
    conv_base.trainable = False
    stack = [keras.Input(shape=conv_base.input_shape[1:])]
    if augmentation is not None:
        stack.append(augmentation)
    stack += [conv_base, layers.GlobalAveragePooling2D(), layers.Dense(64, activation="relu"),
              layers.Dropout(0.5), layers.Dense(num_classes), layers.Activation("softmax")]
    return keras.Sequential(stack)


def feature_maps(model, layer_name, images):
    if layer_name not in [layer.name for layer in model.layers]:
        raise ValueError("no layer named %r" % layer_name)
    x = keras.ops.convert_to_tensor(np.asarray(images, dtype="float32"))
    for layer in model.layers:
        x = layer(x, training=False)
        if layer.name == layer_name:
            return keras.ops.convert_to_numpy(x)
