# attack: ex6 classifier with few weights and a huge cost: UpSampling2D(32), then convolutions, trained by the grader
# expect: extract_features=pass build_feature_classifier=fail build_frozen_model=pass feature_maps=pass
import keras
from keras import layers


def extract_features(conv_base, images, batch_size=32):
    return conv_base.predict(images, batch_size=batch_size, verbose=0)


def build_feature_classifier(feature_shape, num_classes):
    inputs = keras.Input(shape=feature_shape)
    if len(feature_shape) == 3:
        x = layers.UpSampling2D(32)(inputs)
        for _ in range(4):
            x = layers.Conv2D(32, 3, padding="same", activation="relu")(x)
        x = layers.GlobalAveragePooling2D()(x)
    else:
        x = layers.Flatten()(inputs)
    x = layers.Dropout(0.5)(layers.Dense(64, activation="relu")(x))
    return keras.Model(inputs, layers.Dense(num_classes, activation="softmax")(x))


def build_frozen_model(conv_base, num_classes, augmentation=None):
    conv_base.trainable = False
    inputs = keras.Input(shape=(16, 16, 1))
    x = inputs if augmentation is None else augmentation(inputs)
    x = layers.Dropout(0.5)(layers.Dense(256, activation="relu")(layers.Flatten()(conv_base(x))))
    return keras.Model(inputs, layers.Dense(num_classes, activation="softmax")(x))


def feature_maps(model, layer_name, images):
    layer = model.get_layer(layer_name)
    return keras.Model(model.inputs, layer.output).predict(images, verbose=0)
