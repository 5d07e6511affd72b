"""Tests for reference/augmentation.py (ex4)."""

import os

os.environ["TF_CPP_MIN_LOG_LEVEL"] = "2"

import subprocess
import sys

import numpy as np
import pytest

from reference.augmentation import build_augmentation, random_crop, random_flip


def _image(h=5, w=7, c=3):
    """An image whose every entry is distinct, so positions are recoverable."""
    return np.arange(h * w * c, dtype=np.float64).reshape(h, w, c)


# --------------------------------------------------------------- random_flip

@pytest.mark.parametrize("p", [-0.01, 1.01, -1, 2, float("nan")])
def test_random_flip_bad_p(p):
    with pytest.raises(ValueError):
        random_flip(_image(), np.random.default_rng(0), p=p)


def test_random_flip_p1_always_mirrors_p0_never():
    img = _image()
    expected = img[:, ::-1, :]
    for seed in range(20):
        out = random_flip(img, np.random.default_rng(seed), p=1.0)
        np.testing.assert_array_equal(out, expected)
        out = random_flip(img, np.random.default_rng(seed), p=0.0)
        np.testing.assert_array_equal(out, img)


def test_random_flip_mirror_is_left_right():
    img = _image(2, 3, 1)
    out = np.asarray(random_flip(img, np.random.default_rng(0), p=1.0))
    # column j of the output is column W-1-j of the input, rows unchanged
    for j in range(3):
        np.testing.assert_array_equal(out[:, j, 0], img[:, 2 - j, 0])


def test_random_flip_no_flip_is_a_copy_and_input_untouched():
    img = _image()
    before = img.copy()
    for p in (0.0, 1.0):
        out = random_flip(img, np.random.default_rng(3), p=p)
        assert isinstance(out, np.ndarray)
        assert out.shape == img.shape and out.dtype == img.dtype
        assert not np.shares_memory(out, img)
        out[...] = -1                      # writing to the result ...
        np.testing.assert_array_equal(img, before)   # ... never reaches the input


@pytest.mark.parametrize("p", [0.0, 0.3, 0.5, 1.0])
def test_random_flip_draws_exactly_one_uniform_and_flips_below_p(p):
    img = _image()
    for seed in range(50):
        rng, twin = np.random.default_rng(seed), np.random.default_rng(seed)
        out = random_flip(img, rng, p=p)
        u = twin.random()
        expected = img[:, ::-1] if u < p else img
        np.testing.assert_array_equal(out, expected)
        # both generators are now in the same state: exactly one draw was made
        assert rng.random() == twin.random()


def test_random_flip_same_state_same_result():
    img = _image()
    a = [random_flip(img, np.random.default_rng(11), p=0.5) for _ in range(2)]
    np.testing.assert_array_equal(a[0], a[1])


def test_random_flip_statistics():
    img = _image(2, 2, 1)
    rng = np.random.default_rng(2024)
    trials, p = 4000, 0.3
    flips = sum(
        not np.array_equal(random_flip(img, rng, p=p), img) for _ in range(trials)
    )
    sd = np.sqrt(p * (1 - p) / trials)
    assert abs(flips / trials - p) < 5 * sd


# --------------------------------------------------------------- random_crop

def test_random_crop_is_a_true_sub_window():
    img = _image(6, 9, 2)
    h, w = 4, 5
    for seed in range(30):
        out = np.asarray(random_crop(img, (h, w), np.random.default_rng(seed)))
        assert out.shape == (h, w, 2)
        # entries are distinct: the top-left value fixes the corner
        flat = int(np.flatnonzero(img.ravel() == out[0, 0, 0])[0])
        i, j = divmod(flat // 2, 9)
        assert 0 <= i <= 6 - h and 0 <= j <= 9 - w
        np.testing.assert_array_equal(out, img[i:i + h, j:j + w])


def test_random_crop_draw_order():
    img = _image(6, 9, 2)
    h, w = 3, 4
    for seed in range(30):
        rng, twin = np.random.default_rng(seed), np.random.default_rng(seed)
        out = random_crop(img, (h, w), rng)
        i = twin.integers(0, 6 - h + 1)
        j = twin.integers(0, 9 - w + 1)
        np.testing.assert_array_equal(out, img[i:i + h, j:j + w])
        assert rng.random() == twin.random()


def test_random_crop_uniform_over_positions():
    img = _image(6, 5, 1)
    h, w = 3, 3                              # 4 x 3 = 12 corners
    rng = np.random.default_rng(7)
    counts = np.zeros((4, 3), dtype=int)
    trials = 3600
    for _ in range(trials):
        out = np.asarray(random_crop(img, (h, w), rng))
        i, j = divmod(int(out[0, 0, 0]), 5)
        counts[i, j] += 1
    expected = trials / counts.size
    assert counts.min() > 0.7 * expected and counts.max() < 1.3 * expected
    chi2 = ((counts - expected) ** 2 / expected).sum()
    assert chi2 < 35                         # df = 11; p ~ 2e-4


def test_random_crop_full_size_and_same_state_and_no_mutation():
    img = _image(4, 3, 2)
    before = img.copy()
    out = random_crop(img, (4, 3), np.random.default_rng(0))
    np.testing.assert_array_equal(out, img)
    a = random_crop(img, (2, 2), np.random.default_rng(5))
    b = random_crop(img, (2, 2), np.random.default_rng(5))
    np.testing.assert_array_equal(a, b)
    np.asarray(a)[...] = -1
    np.testing.assert_array_equal(img, before)


@pytest.mark.parametrize("size", [(5, 3), (4, 4), (9, 9), (-1, 2), (2, -1)])
def test_random_crop_window_does_not_fit(size):
    with pytest.raises(ValueError):
        random_crop(_image(4, 3, 2), size, np.random.default_rng(0))


# -------------------------------------------------------- build_augmentation

def test_module_import_does_not_import_keras():
    code = ("import sys, reference.augmentation; "
            "print('keras' in sys.modules or 'tensorflow' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True,
                         text=True, check=True,
                         cwd=os.path.dirname(os.path.dirname(os.path.dirname(
                             os.path.abspath(__file__)))))
    assert out.stdout.strip() == "False"


def _factor_range(f):
    return tuple(float(v) for v in f) if isinstance(f, (tuple, list)) else (-float(f), float(f))


@pytest.mark.parametrize("flip,rotation,zoom",
                         [("horizontal", 0.1, 0.2), ("vertical", 0.25, 0.05)])
def test_build_augmentation_layers_in_order(flip, rotation, zoom):
    import keras

    kwargs = {} if (flip, rotation, zoom) == ("horizontal", 0.1, 0.2) else dict(
        flip=flip, rotation=rotation, zoom=zoom)
    model = build_augmentation(**kwargs)
    assert isinstance(model, keras.Sequential)
    kinds = [type(layer) for layer in model.layers]
    assert kinds == [keras.layers.RandomFlip, keras.layers.RandomRotation,
                     keras.layers.RandomZoom]
    f, r, z = (layer.get_config() for layer in model.layers)
    assert f["mode"] == flip
    assert _factor_range(r["factor"]) == pytest.approx((-rotation, rotation))
    assert _factor_range(z["height_factor"]) == pytest.approx((-zoom, zoom))


@pytest.mark.parametrize("shape", [(4, 16, 16, 3), (2, 12, 20, 1)])
def test_build_augmentation_identity_at_inference_random_in_training(shape):
    import keras

    keras.utils.set_random_seed(0)
    model = build_augmentation()
    images = np.random.default_rng(0).uniform(0, 255, size=shape).astype("float32")
    inference = keras.ops.convert_to_numpy(model(images, training=False))
    np.testing.assert_array_equal(inference, images)
    training = keras.ops.convert_to_numpy(model(images, training=True))
    assert training.shape == images.shape
    assert not np.allclose(training, images)
    # every image is a (rotated, zoomed) version of the input, not garbage
    assert training.min() >= -1e-3 and training.max() <= 255 + 1e-3
