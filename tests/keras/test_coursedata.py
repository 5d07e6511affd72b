"""Tests for coursedata: the shipped pre-trained base and the digit tasks."""

import os

os.environ["TF_CPP_MIN_LOG_LEVEL"] = "2"

import socket
import subprocess
import sys

import numpy as np
import pytest

import coursedata

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _sklearn_digits():
    from sklearn.datasets import load_digits

    d = load_digits()
    return np.asarray(d.images), np.asarray(d.target)


@pytest.fixture
def no_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise OSError("network access attempted in a test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)


def test_import_is_cheap():
    code = ("import sys, coursedata; "
            "print(sorted(m for m in ('keras', 'tensorflow', 'sklearn') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=REPO)
    assert out.stdout.strip() == "[]"


def test_constants():
    assert tuple(coursedata.IMAGE_SHAPE) == (16, 16, 1)
    assert coursedata.NUM_TARGET_CLASSES == 5


@pytest.mark.parametrize("loader,digits", [
    (coursedata.load_target_task, (5, 6, 7, 8, 9)),
    (coursedata.load_pretrain_task, (0, 1, 2, 3, 4)),
])
def test_task_contents(no_network, loader, digits):
    x_train, y_train, x_test, y_test = loader()
    images, targets = _sklearn_digits()
    in_group = np.isin(targets, digits)
    assert len(x_train) + len(x_test) == int(in_group.sum())
    for x, y in ((x_train, y_train), (x_test, y_test)):
        assert isinstance(x, np.ndarray) and isinstance(y, np.ndarray)
        assert x.dtype == np.float32 and x.shape[1:] == tuple(coursedata.IMAGE_SHAPE)
        assert y.shape == (len(x),) and np.issubdtype(y.dtype, np.integer)
        assert x.min() >= 0 and x.max() <= 255
        np.testing.assert_array_equal(x, np.round(x))      # integer-valued
        assert set(np.unique(y)) == set(range(5))          # every class in both splits
    assert x_train.max() == 255 and x_train.min() == 0
    # every image is a 2x upsampled scan of its digit, value v -> round(v * 255 / 16)
    lookup = {}
    for img, t in zip(images, targets):
        lookup.setdefault(np.round(img * 255 / 16).astype(np.int64).tobytes(), set()).add(int(t))
    for x, y in ((x_train, y_train), (x_test, y_test)):
        np.testing.assert_array_equal(x[:, 0::2, 0::2], x[:, 1::2, 1::2])
        np.testing.assert_array_equal(x[:, 0::2, 0::2], x[:, 0::2, 1::2])
        np.testing.assert_array_equal(x[:, 0::2, 0::2], x[:, 1::2, 0::2])
        small = x[:, 0::2, 0::2, 0].astype(np.int64)
        for img, label in zip(small, y):
            assert digits[label] in lookup[img.tobytes()]
    # about one fifth of every class is held out
    for label in range(5):
        n_test, n_total = np.sum(y_test == label), np.sum(y_train == label) + np.sum(y_test == label)
        assert n_total // 5 <= n_test <= n_total // 5 + 1


def test_tasks_are_deterministic_fresh_copies():
    a = coursedata.load_target_task()
    a[0][...] = -1
    b, c = coursedata.load_target_task(), coursedata.load_target_task()
    for u, v in zip(b, c):
        np.testing.assert_array_equal(u, v)
    assert b[0].min() >= 0


def test_target_and_pretrain_tasks_differ():
    t, p = coursedata.load_target_task(), coursedata.load_pretrain_task()
    assert t[0].shape[1:] == p[0].shape[1:]
    assert not np.array_equal(t[0][:10], p[0][:10])


# ----------------------------------------------------------- the shipped base

def test_shipped_file_is_small():
    assert os.path.getsize(coursedata.PRETRAINED_BASE_PATH) < 300 * 1024


def test_pretrained_base_architecture(no_network):
    import keras
    from keras import layers

    base = coursedata.load_pretrained_base()
    assert isinstance(base, keras.Model)
    assert base.name == "pretrained_base"
    kinds = [type(l) for l in base.layers]
    for kind in (layers.Conv2D, layers.BatchNormalization, layers.MaxPooling2D,
                 layers.Dropout):
        assert kind in kinds
    assert len(base.layers) >= 6
    assert tuple(base.input_shape) == (None,) + tuple(coursedata.IMAGE_SHAPE)
    assert len(base.output_shape) == 4
    assert tuple(base.output_shape[1:]) == tuple(coursedata.FEATURE_SHAPE)
    assert base.trainable and all(l.trainable for l in base.layers)


def test_pretrained_base_fresh_copy_each_call():
    a, b = coursedata.load_pretrained_base(), coursedata.load_pretrained_base()
    assert a is not b
    for u, v in zip(a.get_weights(), b.get_weights()):
        np.testing.assert_array_equal(u, v)
    a.trainable = False
    a.set_weights([np.zeros_like(w) for w in a.get_weights()])
    c = coursedata.load_pretrained_base()
    assert c.trainable
    for u, v in zip(b.get_weights(), c.get_weights()):
        np.testing.assert_array_equal(u, v)


def test_pretrained_base_equals_keras_own_loader():
    """coursedata reads the weights with h5py (no TensorFlow before a fork); Keras' loader must agree."""
    import keras

    ours = coursedata.load_pretrained_base()
    theirs = keras.models.load_model(coursedata.PRETRAINED_BASE_PATH, compile=False, safe_mode=True)
    assert ours.to_json() == theirs.to_json()
    mine, keras_weights = ours.get_weights(), theirs.get_weights()
    assert len(mine) == len(keras_weights) > 0
    for u, v in zip(mine, keras_weights):
        np.testing.assert_array_equal(u, v)
    x = coursedata.load_target_task()[0][:4]
    np.testing.assert_array_equal(np.asarray(ours(x, training=False)), np.asarray(theirs(x, training=False)))


def test_preload_runs_no_tensorflow_operation():
    """The grader's worker calls preload() before forking: it must not start TensorFlow's runtime."""
    check = ("from tensorflow.python.eager import context; c = context.context_safe(); "
             "print(c is not None and c._context_handle is not None)")
    code = "import sys; sys.path.insert(0, %r); import coursedata; coursedata.preload(); " % REPO
    started = code + "coursedata.load_pretrained_base(); "
    outputs = [subprocess.run([sys.executable, "-c", c + check], capture_output=True, text=True, timeout=300)
               for c in (code, started)]
    assert [o.stdout.strip().splitlines()[-1] for o in outputs] == ["False", "True"], outputs[0].stderr[-2000:]


def test_pretrained_base_inference_differs_from_training():
    import keras

    base = coursedata.load_pretrained_base()
    x = coursedata.load_target_task()[2][:16]
    inference = keras.ops.convert_to_numpy(base(x, training=False))
    again = keras.ops.convert_to_numpy(base(x, training=False))
    np.testing.assert_array_equal(inference, again)
    training = keras.ops.convert_to_numpy(base(x, training=True))
    assert not np.allclose(inference, training, atol=1e-3)


@pytest.mark.parametrize("loader,min_accuracy", [
    (coursedata.load_pretrain_task, 0.95),   # what the base was trained on
    (coursedata.load_target_task, 0.90),     # transfer to unseen digits
])
def test_base_features_are_linearly_informative(loader, min_accuracy):
    """A plain logistic regression on the base's inference features."""
    import keras
    from sklearn.linear_model import LogisticRegression

    base = coursedata.load_pretrained_base()
    x_train, y_train, x_test, y_test = loader()
    f_train = keras.ops.convert_to_numpy(base(x_train, training=False)).reshape(len(x_train), -1)
    f_test = keras.ops.convert_to_numpy(base(x_test, training=False)).reshape(len(x_test), -1)
    clf = LogisticRegression(max_iter=2000).fit(f_train, y_train)
    accuracy = clf.score(f_test, y_test)
    print(f"{loader.__name__}: logistic regression on base features {accuracy:.4f}")
    assert accuracy >= min_accuracy


def test_script_builds_the_shipped_architecture():
    from coursedata.make_pretrained_base import build_base

    shipped = coursedata.load_pretrained_base()
    built = build_base(coursedata.IMAGE_SHAPE)
    assert [type(l) for l in built.layers] == [type(l) for l in shipped.layers]
    for a, b in zip(built.layers, shipped.layers):
        ca, cb = a.get_config(), b.get_config()
        assert ca == cb, (ca, cb)
    assert built.count_params() == shipped.count_params()


def test_script_is_deterministic(tmp_path):
    """Two short runs of the script (2 epochs each) write identical weights."""
    code = (
        "import sys, keras, numpy as np\n"
        "from coursedata.make_pretrained_base import main\n"
        "acc = main(sys.argv[1], epochs=2)\n"
        "a = keras.models.load_model(sys.argv[1], safe_mode=True)\n"
        "np.savez(sys.argv[2], *a.get_weights())\n"
    )
    arrays = []
    for k in range(2):
        path, npz = tmp_path / f"base{k}.keras", tmp_path / f"w{k}.npz"
        out = subprocess.run([sys.executable, "-c", code, str(path), str(npz)],
                             capture_output=True, text=True, cwd=REPO, timeout=300)
        assert out.returncode == 0, out.stderr[-3000:]
        assert "test accuracy" in out.stdout
        with np.load(npz) as f:
            arrays.append([f[key] for key in sorted(f.files, key=lambda s: int(s.split("_")[1]))])
    assert len(arrays[0]) == len(arrays[1]) > 0
    for u, v in zip(*arrays):
        np.testing.assert_array_equal(u, v)
