# attack: ex6 classifier config whose Lambda names keras.config.set_max_epochs, run in the grader while judged
# expect: extract_features=pass build_feature_classifier=zero build_frozen_model=pass feature_maps=pass
# Safe mode lets a config name any function Keras exports; rebuilding this one in the long-lived
# grader sets a global that the next student's classifier training then reads.
import json
import keras
from keras import layers

CALL = {"module": "keras.config", "class_name": "function", "config": "set_max_epochs",
        "registered_name": "function"}


def extract_features(conv_base, images, batch_size=32):
    return conv_base.predict(images, batch_size=batch_size, verbose=0)


def build_feature_classifier(feature_shape, num_classes):
    inputs = keras.Input(shape=feature_shape)
    x = layers.Dropout(0.5)(layers.Dense(256, activation="relu")(layers.Flatten()(inputs)))
    model = keras.Model(inputs, layers.Dense(num_classes, activation="softmax")(x))
    config = json.loads(model.to_json())
    first = config["config"]["layers"][1]
    config["config"]["layers"].insert(1, {
        "module": "keras.layers", "class_name": "Lambda", "name": "setter", "registered_name": None,
        "config": {"name": "setter", "trainable": True, "function": CALL, "arguments": {}},
        "inbound_nodes": first["inbound_nodes"]})
    model.to_json = lambda **kwargs: json.dumps(config)
    return model


def build_frozen_model(conv_base, num_classes, augmentation=None):
    conv_base.trainable = False
    inputs = keras.Input(shape=(16, 16, 1))
    x = inputs if augmentation is None else augmentation(inputs)
    x = layers.Dropout(0.5)(layers.Dense(256, activation="relu")(layers.Flatten()(conv_base(x))))
    return keras.Model(inputs, layers.Dense(num_classes, activation="softmax")(x))


def feature_maps(model, layer_name, images):
    layer = model.get_layer(layer_name)
    return keras.Model(model.inputs, layer.output).predict(images, verbose=0)
