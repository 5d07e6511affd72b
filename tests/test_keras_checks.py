"""Unit tests for autograder/keras_checks.py's additions and ex4's statistical tests.

The statistical claims are checked exactly (sums of binomial probabilities),
not by simulation: a correct flipper or cropper fails a case with probability
at most ex4.ALPHA = 1e-7, and the biased ones the corpus stands for fail with
certainty or with the stated power.
"""
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np
import pytest

from autograder import keras_checks as kc
from autograder.exercises import ex4

# ------------------------------------------------------------------ exact binomial tails


def _rejection_probability(n, p_test, q_true, alpha):
    """P(binomial_consistent(k, n, p_test, alpha) is False) when k ~ Binomial(n, q_true), exactly."""
    from math import exp
    logs = kc._log_pmfs(n, q_true) if 0 < q_true < 1 else None
    total = 0.0
    for k in range(n + 1):
        if kc.binomial_consistent(k, n, p_test, alpha):
            continue
        if logs is None:
            total += 1.0 if k == round(n * q_true) else 0.0
        else:
            total += exp(logs[k])
    return total


def test_binomial_tails_match_scipy():
    stats = pytest.importorskip("scipy.stats")
    for n, p in [(1, 0.5), (10, 0.3), (500, 0.5), (500, 0.85), (600, 1 / 16), (60, 0.01)]:
        for k in sorted({0, 1, n // 3, int(n * p), n - 1, n}):
            lower, upper = kc.binomial_tails(k, n, p)
            assert lower == pytest.approx(stats.binom.cdf(k, n, p), rel=1e-9, abs=1e-300)
            assert upper == pytest.approx(stats.binom.sf(k - 1, n, p), rel=1e-9, abs=1e-300)


def test_binomial_tails_degenerate_probabilities():
    assert kc.binomial_tails(0, 60, 0.0) == (1.0, 1.0)
    assert kc.binomial_tails(1, 60, 0.0)[1] == 0.0
    assert kc.binomial_tails(60, 60, 1.0) == (1.0, 1.0)
    assert kc.binomial_tails(59, 60, 1.0)[0] == 0.0
    assert not kc.binomial_consistent(1, 60, 0.0, 1e-7)
    assert not kc.binomial_consistent(59, 60, 1.0, 1e-7)


# ------------------------------------------------------------------ the cases ex4 grades


def _stat_cases(task_name):
    task = ex4.EXERCISE.task(task_name)
    cases = list(task.public) + task.hidden_cases(np.random.default_rng(0))
    return [c for c in cases if c.expect == "value"]


def _flip_settings():
    for case in _stat_cases("random_flip"):
        _, p, _, n, _ = case.args
        yield (0.5 if p is None else p), n


def _crop_settings():
    for case in _stat_cases("random_crop"):
        image, (h, w), _, n, _ = case.args
        yield image.shape[0] - h + 1, image.shape[1] - w + 1, n


def test_flip_false_failure_below_alpha_for_every_case():
    """Exactly: a correct flipper fails a case with probability <= ALPHA; per task < 1e-6."""
    total = 0.0
    for p, n in _flip_settings():
        size = _rejection_probability(n, p, p, ex4.ALPHA)
        assert size <= ex4.ALPHA
        total += size
    assert total < 1e-6


def test_flip_rejects_biased_flippers():
    for p, n in _flip_settings():
        if p in (0.0, 1.0):
            # any flip at p = 0 (any missing flip at p = 1) fails
            assert not kc.binomial_consistent(1 if p == 0 else n - 1, n, p, ex4.ALPHA)
            continue
        # flipping with probability 1 - p (rng.random() > p), or 0.5 whatever p: caught surely
        if abs(p - 0.5) > 0.2:
            assert _rejection_probability(n, p, 1 - p, ex4.ALPHA) > 1 - 1e-9
            assert _rejection_probability(n, p, 0.5, ex4.ALPHA) > 1 - 1e-6
        # a bias of 0.15 is caught 9 times in 10 at least (500 calls)
        biased = min(p + 0.15, 1.0) if p < 0.5 else p - 0.15
        assert _rejection_probability(n, p, biased, ex4.ALPHA) > 0.9


def test_crop_false_failure_below_alpha_for_every_case():
    """Exactly, per cell; Bonferroni over the cells of a case keeps the case <= ALPHA."""
    total = 0.0
    for rows, cols, n in _crop_settings():
        groups = [rows * cols, rows, cols]
        cells = sum(groups)
        size = sum(g * _rejection_probability(n, 1 / g, 1 / g, ex4.ALPHA / cells) for g in groups)
        assert size <= ex4.ALPHA
        total += size
    assert total < 1e-6


def test_crop_never_last_is_always_rejected():
    """A cropper that never draws the last row (or column) of corners fails every case where one exists."""
    for rows, cols, n in _crop_settings():
        cells = rows * cols + rows + cols
        if rows > 1:   # the last row's marginal count is 0
            assert not kc.binomial_consistent(0, n, 1 / rows, ex4.ALPHA / cells)
        if cols > 1:
            assert not kc.binomial_consistent(0, n, 1 / cols, ex4.ALPHA / cells)


def test_uniform_consistent_accepts_uniform_and_rejects_skewed_counts():
    rng = np.random.default_rng(1)
    corners = rng.integers(0, 16, size=500)
    joint = np.bincount(corners, minlength=16).reshape(4, 4)
    assert kc.uniform_consistent([joint.ravel(), joint.sum(1), joint.sum(0)], 1e-7) == []
    # corners from a binomial, centre-heavy
    skewed = rng.binomial(3, 0.5, size=(500, 2))
    joint = np.zeros((4, 4), int)
    np.add.at(joint, (skewed[:, 0], skewed[:, 1]), 1)
    assert kc.uniform_consistent([joint.ravel(), joint.sum(1), joint.sum(0)], 1e-7) != []


# ------------------------------------------------------------------ ex4's judges on real probe output

probes = pytest.importorskip("autograder.child.probes")


def _flip_result(function, case):
    return probes.flip_many(function, *case.args)


def _crop_result(function, case):
    return probes.crop_many(function, *case.args)


def _correct_flip(image, rng, p=0.5):
    return image[:, ::-1].copy() if rng.random() < p else image.copy()


def _correct_crop(image, size, rng):
    h, w = size
    i = rng.integers(0, image.shape[0] - h + 1)
    j = rng.integers(0, image.shape[1] - w + 1)
    return image[i:i + h, j:j + w]


@pytest.mark.parametrize("seed", range(3))
def test_correct_functions_pass_every_case(seed):
    from autograder.grading import call_reference
    for task_name, probe, function in (("random_flip", _flip_result, _correct_flip),
                                       ("random_crop", _crop_result, _correct_crop)):
        task = ex4.EXERCISE.task(task_name)
        for case in list(task.public) + task.hidden_cases(np.random.default_rng(seed)):
            if case.expect == "value":
                verdict = task.compare(probe(function, case), call_reference(task.reference, case))
                assert verdict.passed, (task_name, case.label, verdict.message)


def test_biased_flipper_and_diagonal_cropper_fail():
    from autograder.grading import call_reference

    def biased_flip(image, rng, p=0.5):
        return image[:, ::-1].copy() if rng.random() < min(1.0, p + 0.25) else image.copy()

    def diagonal_crop(image, size, rng):
        h, w = size
        k = rng.integers(0, min(image.shape[0] - h, image.shape[1] - w) + 1)
        return image[k:k + h, k:k + w]

    flip, crop = ex4.EXERCISE.task("random_flip"), ex4.EXERCISE.task("random_crop")
    case = next(c for c in flip.public if c.args[1] is None)          # p = 0.5 by default
    assert not flip.compare(_flip_result(biased_flip, case), call_reference(flip.reference, case)).passed
    case = crop.public[0]                                               # 6x6 image, 3x3 window
    verdict = crop.compare(_crop_result(diagonal_crop, case), call_reference(crop.reference, case))
    assert not verdict.passed and verdict.misconception is ex4.CROP_NOT_UNIFORM


def test_global_random_and_mutation_are_caught():
    from autograder.grading import call_reference
    flip = ex4.EXERCISE.task("random_flip")
    case = flip.public[0]

    def global_flip(image, rng, p=0.5):
        return image[:, ::-1].copy() if np.random.rand() < p else image.copy()

    def in_place(image, rng, p=0.5):
        if rng.random() < p:
            image[:] = image[:, ::-1]
        return image

    verdict = flip.compare(_flip_result(global_flip, case), call_reference(flip.reference, case))
    assert not verdict.passed and verdict.misconception is ex4.USES_GLOBAL_RANDOM
    verdict = flip.compare(_flip_result(in_place, case), call_reference(flip.reference, case))
    assert not verdict.passed and "in place" in verdict.message


def test_probe_lets_value_errors_through():
    flip = ex4.EXERCISE.task("random_flip")
    case = next(c for c in flip.public if c.expect == "raises")

    def checked(image, rng, p=0.5):
        if not 0 <= p <= 1:
            raise ValueError("p")
        return image

    with pytest.raises(ValueError):
        _flip_result(checked, case)


# ------------------------------------------------------------------ model helpers


def test_symmetric_range():
    assert kc.symmetric_range(0.2) == (-0.2, 0.2)
    assert kc.symmetric_range([-0.1, 0.3]) == (-0.1, 0.3)
    assert kc.symmetric_range("0.2") is None
    assert kc.same_range(0.1, (-0.1, 0.1)) and not kc.same_range(0.1, 0.2)


def test_is_probabilities():
    assert kc.is_probabilities(np.array([[0.2, 0.8], [1.0, 0.0]]), 2)
    assert not kc.is_probabilities(np.array([[0.7, 0.8]]), 2)
    assert not kc.is_probabilities(np.array([[0.5, 0.5]]), 3)


def test_moved():
    a = [[np.zeros(2)], [], [np.ones(1), np.zeros(1)]]
    b = [[np.zeros(2)], [], [np.ones(1), np.ones(1)]]
    assert kc.moved(a, b) == [False, False, True]


def test_payload_flags_survive_the_rebuild_and_a_training_step():
    keras = kc.keras()
    from autograder.child.probes import model_payload
    base = keras.Sequential([keras.Input((6, 6, 1)), keras.layers.Conv2D(2, 3, name="a"),
                             keras.layers.BatchNormalization(name="b"), keras.layers.Conv2D(2, 1, name="c")])
    base.layers[0].trainable = False
    payload = model_payload(base)
    rebuilt = kc.apply_payload_flags(kc.rebuild(payload), payload)
    assert [layer.trainable for layer in rebuilt.layers] == [False, True, True]
    model = kc.with_head(rebuilt, (6, 6, 1), 3)
    before_all, before = kc.snapshot(rebuilt.layers), kc.trainable_snapshot(rebuilt.layers)
    kc.train_step(model, np.random.default_rng(0).uniform(size=(4, 6, 6, 1)).astype("float32"),
                  np.array([0, 1, 2, 0]))
    assert kc.moved(before_all, kc.snapshot(rebuilt.layers))[0] is False
    assert kc.moved(before, kc.trainable_snapshot(rebuilt.layers))[1:] == [True, True]

    base.trainable = False                       # arrives frozen: nothing trainable after the rebuild
    payload = model_payload(base)
    rebuilt = kc.apply_payload_flags(kc.rebuild(payload), payload)
    assert rebuilt.trainable_weights == []


# ------------------------------------------------------------------ facts the grader observes itself (issue 12, item 2)


def test_a_patched_array_equal_in_the_child_does_not_hide_mutation_or_global_randomness(monkeypatch):
    """The probe used to decide "reproducible" and "not mutated" with np.array_equal, which the student can replace."""
    from autograder.grading import call_reference
    flip = ex4.EXERCISE.task("random_flip")
    case = flip.public[0]
    monkeypatch.setattr(np, "array_equal", lambda a, b, equal_nan=False: True)

    def global_flip(image, rng, p=0.5):
        return image[:, ::-1].copy() if np.random.random() < p else image.copy()

    def zeroes_input(image, rng, p=0.5):
        out = image[:, ::-1].copy() if rng.random() < p else image.copy()
        image[...] = 0
        return out
    global_result = _flip_result(global_flip, case)
    mutating_result = _flip_result(zeroes_input, case)
    monkeypatch.undo()                       # the grader's own numpy
    expected = call_reference(flip.reference, case)
    verdict = flip.compare(global_result, expected)
    assert not verdict.passed and verdict.misconception is ex4.USES_GLOBAL_RANDOM
    verdict = flip.compare(mutating_result, expected)
    assert not verdict.passed and "in place" in verdict.message
    assert "mutated" not in mutating_result and "reproducible" not in mutating_result   # no conclusions from the child


def _compiled_with(optimizer_factory, loss="sparse_categorical_crossentropy", metrics=("accuracy",)):
    def compile_for_fine_tuning(model, learning_rate=1e-5):
        model.compile(optimizer=optimizer_factory(learning_rate), loss=loss, metrics=list(metrics))
        return model
    return probes.compile_config(compile_for_fine_tuning, 3e-4)


def test_compile_is_judged_on_the_serialized_config_with_keras_own_rmsprop_only():
    from autograder.exercises import ex7
    keras = kc.keras()
    expected = ex7.reference_compile(3e-4)

    class RMSprop(keras.optimizers.Adam):
        pass
    RMSprop.__module__ = "keras.optimizers"

    class Sneaky(keras.optimizers.RMSprop):   # Keras' RMSprop's settings, but the student's class
        pass
    Sneaky.__name__ = "RMSprop"

    assert ex7.judge_compile(_compiled_with(keras.optimizers.RMSprop), expected).passed
    for factory in (RMSprop, keras.optimizers.Adam):
        verdict = ex7.judge_compile(_compiled_with(factory), expected)
        assert not verdict.passed and verdict.misconception is ex7.WRONG_OPTIMIZER, verdict.message
    verdict = ex7.judge_compile(_compiled_with(Sneaky), expected)
    assert not verdict.passed, verdict.message
    verdict = ex7.judge_compile(_compiled_with(keras.optimizers.RMSprop, loss="categorical_crossentropy"), expected)
    assert not verdict.passed and verdict.misconception is ex7.CATEGORICAL
    verdict = ex7.judge_compile(_compiled_with(keras.optimizers.RMSprop, metrics=("mse",)), expected)
    assert not verdict.passed and "accuracy" in verdict.message
    forged = dict(_compiled_with(keras.optimizers.Adam), optimizer="RMSprop", optimizer_module="keras.optimizers")
    assert not ex7.judge_compile(forged, expected).passed          # the old self-reported fields count for nothing


def test_the_pretrained_base_is_found_by_its_weights_not_its_names():
    import coursedata
    from reference import features
    from autograder.exercises import ex6
    expected = ex6.reference_frozen(5, False)

    def judged(base):
        return ex6.judge_frozen(probes.model_payload(features.build_frozen_model(base, 5)), expected)
    renamed = coursedata.load_pretrained_base()
    for k, layer in enumerate(renamed.layers):
        layer.name = "mine_%d" % k                       # names prove nothing either way
    assert judged(renamed).passed
    retrained = coursedata.load_pretrained_base()
    kernel = retrained.get_layer("conv2").kernel
    kernel.assign(kernel.numpy() + 1e-3)                  # not the shipped weights
    verdict = judged(retrained)
    assert not verdict.passed and "pre-trained base" in verdict.message
