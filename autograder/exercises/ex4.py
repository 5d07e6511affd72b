"""ex4 data augmentation: random flips and crops judged statistically, the Keras model by structure.

``random_flip`` and ``random_crop`` are called many times in the child with one
Generator (probes ``flip_many`` / ``crop_many``); every output must be a legal
result, the frequencies must be consistent with the contract, and a second run
with a fresh Generator of the same seed (and another ``np.random`` seed) must
give the same outputs. The child reports only what it observed (both runs'
outputs, each input as the function left it); this module compares them with
the image the grader sent. Those two tasks are judged here, in the grader
(JUDGED_IN_GRADER); the Keras model is judged in the cage (autograder/judge).

False failures. Each statistical case of random_flip and random_crop rejects a
correct solution with probability at most ALPHA = 1e-7 (exact binomial tails,
Bonferroni over the cells of a crop), so a correct solution loses a point by
bad luck with probability below 8 * 1e-7 < 1e-6 per task (at most 8
statistical cases per task, union bound), whatever the hidden seed.
"""
from __future__ import annotations

import numpy as np

from .. import keras_checks as kc
from ..spec import Case, Exercise, Misconception, Task, Verdict
from ._cases import image, size_label

LOOK_FLIP = "notebook ex4, section 'Flipping' (lecture: 'Data augmentation')"
LOOK_CROP = "notebook ex4, section 'Cropping' (lecture: 'Data augmentation')"
LOOK_MODEL = "notebook ex4, section 'Augmentation layers in Keras' (lecture: 'Data augmentation')"

ALPHA = 1e-7          # false-failure probability of one statistical case (see the module's docstring)
CALLS = 500           # calls per statistical case
FEW_CALLS = 60        # calls when the answer is deterministic (p = 0 or 1, a single window)
GLOBAL_SEED = 20240   # np.random is seeded with this (and this + 1 for the second run)

USES_GLOBAL_RANDOM = Misconception(
    "global-random", "the randomness does not come from the rng argument",
    "Two runs with generators of the same seed gave different results, so the function draws from "
    "somewhere else (np.random.*, the random module, or a new Generator). Use the rng argument only: "
    "rng.random() < p to decide a flip, rng.integers(0, H - h + 1) for a crop corner.")
FLIP_COMPLEMENT = Misconception(
    "flip-probability-inverted", "flips with probability 1 - p",
    "rng.random() is uniform in [0, 1), so `rng.random() < p` is true with probability p; "
    "`rng.random() > p` flips with probability 1 - p.")
FLIP_IGNORES_P = Misconception(
    "flip-ignores-p", "the flip probability p is ignored",
    "The flips come out at a fixed rate (one half) whatever p is; compare the draw with p.")
FLIP_VERTICAL = Misconception(
    "vertical-flip", "the image is mirrored top-bottom",
    "image[::-1] reverses the rows (a vertical flip); the horizontal mirror reverses the columns: "
    "image[:, ::-1], axis 1 of an (H, W, C) image.")
CROP_NEVER_LAST = Misconception(
    "crop-never-last", "the last valid corner position is never drawn",
    "A window of height h fits at rows 0 .. H - h, which is H - h + 1 positions; rng.integers(low, high) "
    "excludes high, so the corner is rng.integers(0, H - h + 1) (and likewise for the columns).")
CROP_NOT_UNIFORM = Misconception(
    "crop-not-uniform", "the crop corners are not uniform over the valid positions",
    "Every valid top-left corner (i, j), 0 <= i <= H - h, 0 <= j <= W - w, must be equally likely: draw "
    "i and j independently, each with rng.integers(0, last + 1).")
AUG_ORDER = Misconception(
    "augmentation-order", "the augmentation layers are in the wrong order",
    "The lecture's model is RandomFlip, then RandomRotation, then RandomZoom.")
AUG_NOT_PASSED = Misconception(
    "factors-not-passed", "the arguments are not passed to the layers",
    "The layers carry the default values even when other ones are asked for: pass flip, rotation and zoom "
    "on, e.g. layers.RandomRotation(rotation), not layers.RandomRotation(0.1).")
AUG_MISSING = Misconception(
    "missing-layer", "an augmentation layer is missing",
    "The model holds three layers: RandomFlip(flip), RandomRotation(rotation), RandomZoom(zoom).")

WANTED_LAYERS = ["RandomFlip", "RandomRotation", "RandomZoom"]
JUDGED_IN_GRADER = ("random_flip", "random_crop")   # arrays only: no Keras, no cage
DEFAULTS = {"flip": "horizontal", "rotation": 0.1, "zoom": 0.2}


def _ref():
    from reference import augmentation
    return augmentation


# ---------------------------------------------------------------- random_flip

def expect_flips(image, p, seed, n, global_seed):
    """What a correct random_flip must produce on these calls (judged statistically)."""
    return {"image": np.asarray(image), "p": 0.5 if p is None else float(p), "n": int(n)}


def _outputs_problem(result):
    """A failing Verdict if the probe's result is not usable outputs."""
    if not isinstance(result, dict):
        return Verdict(False, "returned something the grader cannot use")
    if "problem" in result:
        return Verdict(False, str(result["problem"])[:300])
    if not isinstance(result.get("outputs"), np.ndarray) or result["outputs"].ndim < 1:
        return Verdict(False, "returned something the grader cannot use")
    return None


def _mutated(result, image, n) -> bool:
    """Whether any call left its input different from the image the grader sent (judged here, not in the child)."""
    after = result.get("inputs_after")
    if not isinstance(after, np.ndarray) or after.shape != (n,) + image.shape:
        return True
    return not bool(np.array_equal(after, np.broadcast_to(image, after.shape)))


def _reproducible(result) -> bool:
    """Whether the second run, with a fresh Generator of the same seed, gave exactly the first run's outputs."""
    again, outputs = result.get("again"), result["outputs"]
    return isinstance(again, np.ndarray) and again.shape == outputs.shape and bool(np.array_equal(again, outputs))


def _close(outputs, target):
    """Per output: equal to target within the contract's tolerance."""
    scale = max(1.0, float(np.max(np.abs(target)))) if target.size else 1.0
    return np.isclose(outputs, target[None], rtol=1e-4, atol=1e-4 * scale).reshape(len(outputs), -1).all(axis=1)


def judge_flips(result, expected) -> Verdict:
    problem = _outputs_problem(result)
    if problem:
        return problem
    img, p, n = expected["image"], expected["p"], expected["n"]
    outputs = result["outputs"]
    if outputs.shape[1:] != img.shape:
        return Verdict(False, "returned an array of shape %s; a flip keeps the image's shape" % (outputs.shape[1:],),
                       "expected shape %s" % (img.shape,))
    same, mirror = _close(outputs, img), _close(outputs, img[:, ::-1])
    if not (same | mirror).all():
        if _close(outputs, img[::-1]).any():
            return Verdict(False, "some results are the image mirrored top-bottom, not left-right",
                           misconception=FLIP_VERTICAL)
        return Verdict(False, "some results are neither an equal copy of the image nor its left-right mirror "
                       "image[:, ::-1]")
    if _mutated(result, img, len(outputs)):
        return Verdict(False, "the results are right, but your function changed its input array in place; "
                       "work on a copy (image[:, ::-1].copy() or np.flip(image, axis=1))")
    if not _reproducible(result):
        return Verdict(False, "two runs with generators of the same seed gave different results",
                       misconception=USES_GLOBAL_RANDOM)
    k = int(mirror.sum())
    if len(outputs) != n:
        return Verdict(False, "the grader lost some calls")
    if p in (0.0, 1.0):
        if k != (n if p == 1.0 else 0):
            return Verdict(False, "with p = %g it must %s flip, but %d of %d calls flipped"
                           % (p, "always" if p == 1.0 else "never", k, n),
                           misconception=FLIP_COMPLEMENT if k == (0 if p == 1.0 else n) else None)
        return Verdict(True)
    if not kc.binomial_consistent(k, n, p, ALPHA):
        why = None
        if kc.binomial_consistent(k, n, 1.0 - p, ALPHA):
            why = FLIP_COMPLEMENT
        elif kc.binomial_consistent(k, n, 0.5, ALPHA):
            why = FLIP_IGNORES_P
        return Verdict(False, "flipped in %d of %d calls, which is not consistent with the probability p "
                       "(a correct solution fails this test with probability below %g)" % (k, n, ALPHA),
                       "p = %g: about %d flips expected" % (p, round(n * p)), misconception=why)
    return Verdict(True)


def _flip_case(label, rng, shape, p, calls=CALLS, **extra):
    return Case(label, (image(rng, *shape), p, int(rng.integers(2**31)), calls, GLOBAL_SEED), **extra)


# Audit (EXERCISES.md is the contract; each case names the sentence it checks).
#
# random_flip: "with probability `p` the horizontal mirror (`image[:, ::-1]`), else an equal copy. `ValueError`
# unless `0 <= p <= 1`", and "Randomness comes only from the `rng` argument" (every case: a second run with a
# generator of the same seed). p other than 1/2 shows flip-probability-inverted and flip-ignores-p; H > 1
# shows a vertical flip; p = 0 and p = 1 are the ends of the closed interval.
def _flip_public():
    rng = np.random.default_rng(4)
    return (
        _flip_case("5x7x3 image, default p (0.5)", rng, (5, 7, 3), None),
        _flip_case("4x6x1 image, p = 1 (always flips)", rng, (4, 6, 1), 1.0, FEW_CALLS),
        _flip_case("4x6x1 image, p = 0 (never flips)", rng, (4, 6, 1), 0.0, FEW_CALLS),
        _flip_case("p = 1.5", rng, (3, 3, 1), 1.5, 1, expect="raises", reason="p must be in [0, 1]"),
    )


def _flip_hidden(rng):
    return [
        _flip_case("6x5x3 image, p = 0.3", rng, (6, 5, 3), 0.3),
        _flip_case("3x8x2 image, p = 0.85", rng, (3, 8, 2), 0.85),
        _flip_case("8x8x3 image, p = 0.5 given explicitly", rng, (8, 8, 3), 0.5),
        _flip_case("2x9x1 image, p = 1", rng, (2, 9, 1), 1.0, FEW_CALLS),
        _flip_case("5x4x3 image, p = 0", rng, (5, 4, 3), 0.0, FEW_CALLS),
        _flip_case("negative p", rng, (3, 3, 1), -0.1, 1, expect="raises", reason="p must be in [0, 1]"),
        _flip_case("p above 1", rng, (3, 3, 1), 1.01, 1, expect="raises", reason="p must be in [0, 1]"),
    ]


# ---------------------------------------------------------------- random_crop

def expect_crops(image, size, seed, n, global_seed):
    """What a correct random_crop must produce on these calls (judged statistically)."""
    return {"image": np.asarray(image), "size": tuple(int(s) for s in size), "n": int(n)}


def judge_crops(result, expected) -> Verdict:
    problem = _outputs_problem(result)
    if problem:
        return problem
    img, (h, w), n = expected["image"], expected["size"], expected["n"]
    outputs = result["outputs"]
    want_shape = (h, w) + img.shape[2:]
    if outputs.shape[1:] != want_shape:
        return Verdict(False, "returned windows of shape %s, not (h, w, C) for the requested size" % (outputs.shape[1:],),
                       "expected shape %s" % (want_shape,))
    rows, cols = img.shape[0] - h + 1, img.shape[1] - w + 1
    position = np.full(len(outputs), -1)
    for i in range(rows):
        for j in range(cols):
            position[_close(outputs, img[i:i + h, j:j + w]) & (position < 0)] = i * cols + j
    if (position < 0).any():
        return Verdict(False, "some results are not a window image[i:i+h, j:j+w] of the image")
    if _mutated(result, img, len(outputs)):
        return Verdict(False, "the results are right, but your function changed its input array in place")
    if not _reproducible(result):
        return Verdict(False, "two runs with generators of the same seed gave different results",
                       misconception=USES_GLOBAL_RANDOM)
    if len(outputs) != n:
        return Verdict(False, "the grader lost some calls")
    joint = np.bincount(position, minlength=rows * cols).reshape(rows, cols)
    groups = [joint.ravel(), joint.sum(axis=1), joint.sum(axis=0)]
    failed = kc.uniform_consistent(groups, ALPHA)
    if failed:
        never_last = (rows > 1 and joint[-1, :].sum() == 0) or (cols > 1 and joint[:, -1].sum() == 0)
        return Verdict(False, "over %d calls the window corners are not uniform over the %d valid positions "
                       "(a correct solution fails this test with probability below %g)%s"
                       % (n, rows * cols, ALPHA, "; the last row or column of positions never came up"
                          if never_last else ""),
                       "corner counts (rows i, columns j):\n%s" % joint,
                       misconception=CROP_NEVER_LAST if never_last else CROP_NOT_UNIFORM)
    return Verdict(True)


def _crop_case(label, rng, shape, size, calls=CALLS, **extra):
    return Case(label, (image(rng, *shape), tuple(size), int(rng.integers(2**31)), calls, GLOBAL_SEED), **extra)


def _crop_label(shape, size):
    return "%s image, %s window" % (size_label(shape), size_label(size))


# random_crop: "`size = (h, w)`; a window `image[i:i+h, j:j+w]` whose top-left corner is uniform over every
# valid position. `ValueError` if the window does not fit." Windows with several positions in both directions
# (crop-never-last, crop-not-uniform), a window as large as the image (one position), one-wide windows,
# and a window too tall, too wide, or both.
def _crop_public():
    rng = np.random.default_rng(5)
    return (
        _crop_case(_crop_label((6, 6, 3), (3, 3)), rng, (6, 6, 3), (3, 3)),
        _crop_case(_crop_label((5, 7, 1), (2, 4)), rng, (5, 7, 1), (2, 4)),
        _crop_case("window taller than the image", rng, (6, 6, 3), (7, 3), 1,
                   expect="raises", reason="the window does not fit in the image"),
    )


def _crop_hidden(rng):
    cases = [(8, 6, 2), (5, 4)], [(4, 4, 3), (4, 4)], [(6, 9, 1), (6, 1)], [(9, 5, 3), (1, 5)], [(7, 7, 2), (4, 5)]
    hidden = [_crop_case(_crop_label(shape, size), rng, shape, size,
                         FEW_CALLS if shape[:2] == size else CALLS) for shape, size in cases]
    hidden.append(_crop_case("window wider than the image", rng, (5, 4, 1), (2, 5), 1,
                             expect="raises", reason="the window does not fit in the image"))
    hidden.append(_crop_case("window larger than the image both ways", rng, (3, 3, 3), (4, 4), 1,
                             expect="raises", reason="the window does not fit in the image"))
    return hidden


# ---------------------------------------------------------------- build_augmentation

def reference_augmentation(kwargs):
    kc.keras()
    return _ref().build_augmentation(**kwargs)


def _factors(layer):
    """The layer's random factors, as (low, high) ranges or a mode string."""
    config = layer.get_config()
    kind = type(layer).__name__
    if kind == "RandomFlip":
        return {"mode": config.get("mode")}
    if kind == "RandomRotation":
        return {"factor": kc.symmetric_range(config.get("factor"))}
    width = config.get("width_factor")
    height = kc.symmetric_range(config.get("height_factor"))
    return {"height_factor": height, "width_factor": height if width is None else kc.symmetric_range(width)}


def _same_factors(a, b):
    for key, value in a.items():
        other = b.get(key)
        if isinstance(value, str) or value is None or other is None:
            if value != other:
                return False
        elif not kc.same_range(value, other):
            return False
    return True


def judge_augmentation(result, reference) -> Verdict:
    student, problem = kc.rebuilt(result)
    if problem:
        return problem
    if type(student).__name__ != "Sequential":     # the rebuilt model's class, not the class the child reports
        return Verdict(False, "returned a %s model; build a keras.Sequential of the three layers"
                       % type(student).__name__)
    kinds = kc.layer_kinds(student)
    if kinds != WANTED_LAYERS:
        missing = [k for k in WANTED_LAYERS if k not in kinds]
        extra = [k for k in kinds if k not in WANTED_LAYERS]
        if missing:
            return Verdict(False, "the model has no %s layer" % " and no ".join(missing), misconception=AUG_MISSING)
        if extra:
            return Verdict(False, "the model has layers besides RandomFlip, RandomRotation and RandomZoom: %s"
                           % ", ".join(extra))
        if sorted(kinds) == sorted(WANTED_LAYERS):
            return Verdict(False, "the layers are in the order %s" % ", ".join(kinds), misconception=AUG_ORDER)
        return Verdict(False, "the model's layers are %s" % ", ".join(kinds))
    got = [_factors(layer) for layer in student.layers]
    want = [_factors(layer) for layer in reference.layers]
    defaults = [_factors(layer) for layer in reference_augmentation({}).layers]
    wrong = [kind for kind, g, w in zip(WANTED_LAYERS, got, want) if not _same_factors(g, w)]
    if wrong:
        hard_coded = all(_same_factors(g, d) for g, d in zip(got, defaults))
        return Verdict(False, "the %s layer%s not built with the arguments given (flip, rotation, zoom)"
                       % (", ".join(wrong), " is" if len(wrong) == 1 else "s are"),
                       "expected %s, got %s" % (want, got), misconception=AUG_NOT_PASSED if hard_coded else None)
    return _judge_behaviour(student)


def _judge_behaviour(student) -> Verdict:
    k = kc.keras()
    shape = kc.input_shape_or(student, (20, 20, 3))
    x = np.random.default_rng(0).uniform(0, 1, size=(4,) + shape).astype("float32")
    try:
        quiet = kc.run(student, x, training=False)
        k.utils.set_random_seed(0)
        noisy = kc.run(student, x, training=True)
    except Exception as exc:  # noqa: BLE001 - a rebuilt standard model that cannot run on images
        return Verdict(False, "the model could not run on a batch of %s images (%s)"
                       % (size_label(shape), str(exc).splitlines()[0][:200]))
    if quiet.shape != x.shape or noisy.shape != x.shape:
        return Verdict(False, "the model changes the images' shape")
    if not np.allclose(quiet, x, atol=1e-5):
        return Verdict(False, "at inference (training=False) the model changes the images; augmentation must "
                       "be the identity outside training")
    if np.allclose(noisy, x, atol=1e-5):
        return Verdict(False, "in training (training=True) the model leaves the images unchanged")
    return Verdict(True)


EXERCISE = Exercise(
    key="ex4", topic="augmentation", title="Data augmentation", uses_keras=True, preload=("keras",),
    tasks=(
        Task("random_flip", 3, expect_flips, judge_flips, public=_flip_public(), hidden=_flip_hidden,
             look_at=LOOK_FLIP, timeout=60, probe="flip_many",
             misconceptions=(USES_GLOBAL_RANDOM, FLIP_COMPLEMENT, FLIP_IGNORES_P, FLIP_VERTICAL)),
        Task("random_crop", 3, expect_crops, judge_crops, public=_crop_public(), hidden=_crop_hidden,
             look_at=LOOK_CROP, timeout=60, probe="crop_many",
             misconceptions=(USES_GLOBAL_RANDOM, CROP_NEVER_LAST, CROP_NOT_UNIFORM)),
        Task("build_augmentation", 4, reference_augmentation, judge_augmentation,
             # "a `keras.Sequential` of `RandomFlip(flip)`, `RandomRotation(rotation)`, `RandomZoom(zoom)`, in
             # that order": the defaults, and arguments other than the defaults (factors-not-passed), each alone
             public=(Case("the defaults (no arguments)", ({},)),
                     Case("flip=\"vertical\", rotation=0.2, zoom=0.1",
                          ({"flip": "vertical", "rotation": 0.2, "zoom": 0.1},))),
             hidden=lambda rng: [
                 Case("flip=\"horizontal_and_vertical\", rotation=0.05, zoom=0.3",
                      ({"flip": "horizontal_and_vertical", "rotation": 0.05, "zoom": 0.3},)),
                 Case("rotation=0.25 only, other arguments left at their defaults", ({"rotation": 0.25},)),
                 Case("zoom=0.15 only, other arguments left at their defaults", ({"zoom": 0.15},))],
             look_at=LOOK_MODEL, timeout=60, probe="augmentation",
             misconceptions=(AUG_ORDER, AUG_NOT_PASSED, AUG_MISSING)),
    ),
)
