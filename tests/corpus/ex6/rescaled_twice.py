# expect: extract_features=fail:rescaled-twice build_feature_classifier=missing build_frozen_model=missing feature_maps=missing
# Divides by 255 although the base starts with its own Rescaling layer.
import keras


def extract_features(conv_base, images, batch_size=32):
    return conv_base.predict(images / 255.0, batch_size=batch_size, verbose=0)
