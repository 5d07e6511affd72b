"""Pre-train the course's small convolutional base and save it.

Run from the repository root:

    python -m coursedata.make_pretrained_base [--out PATH] [--epochs N]

Trains ``pretrained_base`` plus a throw-away softmax head on the pre-training
task (digits 0-4 of scikit-learn's digits, see ``coursedata``), prints the
test accuracy, and writes only the base to ``coursedata/pretrained_base.keras``.
Deterministic (fixed seeds, deterministic ops, fixed split) and takes well
under a minute on 2 CPU cores.

Base architecture, (16, 16, 1) images in [0, 255] -> (4, 4, 32) feature maps:

    Rescaling(1/255)                      16x16x1
    Conv2D(16, 3, padding="same")         16x16x16
    BatchNormalization
    Activation("relu")
    MaxPooling2D(2)                       8x8x16
    Dropout(0.25)
    Conv2D(32, 3, padding="same")         8x8x32
    BatchNormalization
    Activation("relu")
    MaxPooling2D(2)                       4x4x32

Ten top-level layers; the last four (Conv2D, BatchNormalization, Activation,
MaxPooling2D) are what ex7's ``freeze_all_but_last(conv_base, 4)`` unfreezes.
"""

import argparse
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

SEED = 1234
EPOCHS = 30
BATCH_SIZE = 32


def build_base(image_shape):
    """The untrained base: (N, *image_shape) in [0, 255] -> (N, 4, 4, 32)."""
    import keras
    from keras import layers

    return keras.Sequential(
        [
            keras.Input(shape=image_shape),
            layers.Rescaling(1.0 / 255, name="rescaling"),
            layers.Conv2D(16, 3, padding="same", name="conv1"),
            layers.BatchNormalization(name="bn1"),
            layers.Activation("relu", name="relu1"),
            layers.MaxPooling2D(2, name="pool1"),
            layers.Dropout(0.25, name="dropout1"),
            layers.Conv2D(32, 3, padding="same", name="conv2"),
            layers.BatchNormalization(name="bn2"),
            layers.Activation("relu", name="relu2"),
            layers.MaxPooling2D(2, name="pool2"),
        ],
        name="pretrained_base",
    )


def main(path=None, epochs=EPOCHS):
    """Pre-train, print accuracies, save the base to path; return test accuracy."""
    import keras
    import tensorflow as tf
    from keras import layers

    import coursedata

    path = path or coursedata.PRETRAINED_BASE_PATH
    keras.utils.set_random_seed(SEED)
    tf.config.experimental.enable_op_determinism()

    x_train, y_train, x_test, y_test = coursedata.load_pretrain_task()
    base = build_base(coursedata.IMAGE_SHAPE)
    model = keras.Sequential(
        [
            keras.Input(shape=coursedata.IMAGE_SHAPE),
            base,
            layers.Flatten(),
            layers.Dropout(0.5),
            layers.Dense(coursedata.NUM_PRETRAIN_CLASSES, activation="softmax"),
        ],
        name="pretraining_model",
    )
    model.compile(optimizer=keras.optimizers.Adam(1e-3),
                  loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    model.fit(x_train, y_train, epochs=epochs, batch_size=BATCH_SIZE,
              shuffle=True, verbose=0)
    _, train_acc = model.evaluate(x_train, y_train, verbose=0)
    _, test_acc = model.evaluate(x_test, y_test, verbose=0)
    print(f"pretrain task (digits 0-4): train accuracy {train_acc:.4f}, "
          f"test accuracy {test_acc:.4f}")

    if tuple(base.output_shape[1:]) != tuple(coursedata.FEATURE_SHAPE):
        raise RuntimeError(f"base output {base.output_shape} does not match "
                           f"coursedata.FEATURE_SHAPE {coursedata.FEATURE_SHAPE}")
    base.save(path)
    print(f"wrote {path} ({os.path.getsize(path)} bytes, "
          f"{base.count_params()} parameters)")
    return test_acc


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=None,
                        help="where to write the base (default: the shipped file)")
    parser.add_argument("--epochs", type=int, default=EPOCHS)
    args = parser.parse_args()
    main(args.out, args.epochs)
