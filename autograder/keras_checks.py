"""Judge Keras models that came back from the child as a JSON config plus weights.

Models are rebuilt here in Keras' safe mode: standard layers only; a custom
Python layer or a ``Lambda`` is refused with a clear message, since loading
it would mean running the student's code in the grader. Keras is imported on
first use, so NumPy exercises never load it.
"""
from __future__ import annotations

import os

import numpy as np

from .child.wire import Unsupported
from .spec import Verdict

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


class ModelRejected(Exception):
    """A returned model cannot be rebuilt safely; the message is for the student."""


def keras():
    """The keras module, imported on first use.

    TensorFlow prints a few lines of start-up chatter on stderr. They are left
    there: silencing them would mean pointing the whole process's stderr at
    /dev/null while Keras imports (in a background thread, while a submission
    is graded), and a traceback written meanwhile would be lost.
    """
    import keras as _keras
    return _keras


def payload_problem(result) -> Verdict | None:
    """A failing Verdict if ``result`` is not a model payload from a probe."""
    if isinstance(result, Unsupported):
        return Verdict(False, "returned %s, which the grader cannot use" % result.type_name)
    if not isinstance(result, dict) or not isinstance(result.get("config"), str):
        return Verdict(False, "did not return a Keras model")
    return None


MAX_MACS = 500_000_000        # multiply-adds per sample of one forward pass of a judged model
MAX_TRAIN_MACS = 20_000_000   # the same for a model the grader trains for epochs (ex6's classifier)


def rebuild(payload: dict, max_macs: int = MAX_MACS, weights: bool = True):
    """The student's model rebuilt from its config (safe mode) with its weights set.

    The config must pass the allowlist first (judge/allow.py: built-in classes
    only, no Lambda, no function reference, declared inputs capped), and the
    rebuilt model's inferred sizes the cost caps (every layer's output at most
    allow.MAX_ELEMENTS numbers per sample, at most ``max_macs`` multiply-adds
    per sample), before any array passes through it. weights=False keeps the
    fresh initial weights (a model the grader trains from scratch).
    """
    from .judge import allow
    problem = allow.config_problem(payload.get("config"))
    if problem:
        raise ModelRejected(problem)
    k = keras()
    try:
        model = k.models.model_from_json(payload["config"])
    except MemoryError:
        raise ModelRejected("the model is too large to be rebuilt (its weights do not fit in the grader's "
                            "memory limit)") from None
    except Exception as exc:  # noqa: BLE001 - any failure means the config is not standard Keras
        text = str(exc)
        if "Lambda" in text:
            raise ModelRejected("the model contains a Lambda layer; use Keras' built-in layers only") from None
        raise ModelRejected("the model could not be rebuilt from its config; use Keras' built-in layers "
                            "only (no custom Layer subclasses): %s" % (text.splitlines() or [""])[0][:200]) from None
    problem = cost_problem(model, max_macs)
    if problem:
        raise ModelRejected(problem)
    if weights:
        try:
            model.set_weights(payload.get("weights") or [])
        except Exception as exc:  # noqa: BLE001
            raise ModelRejected("the model's weights do not fit its config (%s)" % str(exc)[:200]) from None
    return model


def cost_problem(model, max_macs: int = MAX_MACS) -> str | None:
    """Why running ``model`` would cost too much, from its inferred (symbolic) shapes; None if it would not.

    Every output of every layer (nested models included) holds at most
    allow.MAX_ELEMENTS numbers per sample, and a forward pass takes at most
    max_macs multiply-adds per sample (a layer with a kernel: output size
    times kernel size over its last axis; any other layer: its output size).
    Unknown sizes count as 1; the cage's memory and time limits cover what
    only the real input reveals.
    """
    from .judge import allow
    total = 0
    for layer in _every_layer(model):
        nested = bool(getattr(layer, "layers", None))   # its own layers are counted one by one
        kernel = None if nested else next((w for w in getattr(layer, "weights", [])
                                           if str(getattr(w, "path", "")).endswith("kernel")), None)
        per_output = 1
        if kernel is not None and len(kernel.shape) >= 2 and kernel.shape[-1]:
            per_output = max(1, int(np.prod(kernel.shape)) // int(kernel.shape[-1]))
        for shape in _output_shapes(layer):
            size = 1
            for d in shape[1:]:
                size *= int(d) if isinstance(d, int) and d > 0 else 1
            if size > allow.MAX_ELEMENTS:
                return ("the layer %r outputs %d numbers per sample, more than the %d the grader accepts; "
                        "build the model the exercise asks for" % (str(layer.name)[:60], size, allow.MAX_ELEMENTS))
            total += size * per_output
    if total > max_macs:
        return ("running the model takes about %.0f million multiply-adds per sample, more than the %.0f million "
                "the grader allows for this task; build the model the exercise asks for"
                % (total / 1e6, max_macs / 1e6))
    return None


def _every_layer(model):
    for layer in getattr(model, "layers", []):
        yield layer
        if getattr(layer, "layers", None):
            yield from _every_layer(layer)


def _output_shapes(layer):
    shapes = []
    for node in getattr(layer, "_inbound_nodes", []) or []:
        for tensor in getattr(node, "output_tensors", []) or []:
            shape = getattr(tensor, "shape", None)
            if shape is not None:
                shapes.append(tuple(shape))
    return shapes


def rebuilt(result):
    """(model, None) for a probe's model payload, or (None, a failing Verdict saying why not)."""
    problem = payload_problem(result)
    if problem:
        return None, problem
    try:
        return rebuild(result), None
    except ModelRejected as exc:
        return None, Verdict(False, str(exc))


def layer_kinds(model) -> list[str]:
    """Class names of the model's top-level layers, InputLayer excluded."""
    return [type(layer).__name__ for layer in model.layers if type(layer).__name__ != "InputLayer"]


def all_layers(model):
    """Every layer, nested models flattened, in order."""
    for layer in model.layers:
        if hasattr(layer, "layers") and type(layer).__name__ in ("Sequential", "Functional", "Model"):
            yield from all_layers(layer)
        else:
            yield layer


def conv_layers(model, kernel: int):
    """The Conv2D layers with a kernel_size of (kernel, kernel), in topological order."""
    return [layer for layer in all_layers(model) if type(layer).__name__ == "Conv2D"
            and tuple(layer.kernel_size) == (kernel, kernel)]


def outputs(model, x: np.ndarray, training: bool = False) -> np.ndarray:
    return keras().ops.convert_to_numpy(model(x, training=training))


def output_shape(model) -> tuple:
    return tuple(model.output.shape[1:])


def count_params(model) -> int:
    return int(model.count_params())


def transplant(source_layers, target_layers) -> bool:
    """Copy weights layer by layer; False if the layers do not correspond."""
    if len(source_layers) != len(target_layers):
        return False
    for src, dst in zip(source_layers, target_layers):
        weights = src.get_weights()
        if [w.shape for w in weights] != [w.shape for w in dst.get_weights()]:
            return False
        dst.set_weights(weights)
    return True


def compare_arrays(got: np.ndarray, want: np.ndarray, rtol: float = 1e-4) -> bool:
    scale = max(1.0, float(np.max(np.abs(want)))) if want.size else 1.0
    return got.shape == want.shape and bool(np.allclose(got, want, rtol=rtol, atol=rtol * scale))


# ----------------------------------------------------------------------------
# models: building, flags, one training step

def run(model, x: np.ndarray, training: bool = False) -> np.ndarray:
    """model(x) as an ndarray; unlike outputs(), for models whose input shape is not fixed yet."""
    return keras().ops.convert_to_numpy(model(keras().ops.convert_to_tensor(x), training=training))


def input_shape_or(model, default: tuple) -> tuple:
    """The model's per-sample input shape, with ``default`` for the model's unknown sizes (or all of it)."""
    try:
        shape = tuple(model.inputs[0].shape[1:])
    except (AttributeError, IndexError, TypeError, ValueError):
        return tuple(default)
    if len(shape) != len(default):
        return tuple(default)
    return tuple(d if s is None else int(s) for s, d in zip(shape, default))


def apply_payload_flags(model, payload: dict):
    """Set the rebuilt model's trainable flags as the payload reports them.

    A Sequential's config carries each layer's flag but not the model's own
    (it rebuilds trainable); a model that arrived frozen has no trainable
    weights, which ``model.trainable = False`` reproduces.
    """
    flags = payload.get("trainable")
    if isinstance(flags, list) and len(flags) == len(model.layers):
        for layer, flag in zip(model.layers, flags):
            layer.trainable = bool(flag)
    if payload.get("model_trainable") is False:
        model.trainable = False
    return model


def snapshot(layer_list) -> list[list[np.ndarray]]:
    """Copies of every weight (trainable or not) of each layer."""
    return [[np.array(w) for w in layer.get_weights()] for layer in layer_list]


def trainable_snapshot(layer_list) -> list[list[np.ndarray]]:
    """Copies of each layer's trainable weights only (BatchNormalization's moving statistics left out)."""
    return [[np.array(keras().ops.convert_to_numpy(w)) for w in layer.trainable_weights] for layer in layer_list]


def moved(before: list[list[np.ndarray]], after: list[list[np.ndarray]]) -> list[bool]:
    """Per layer: did any of its weights change between two snapshots?"""
    return [any(not np.array_equal(a, b) for a, b in zip(wa, wb)) or len(wa) != len(wb)
            for wa, wb in zip(before, after)]


def train_step(model, x: np.ndarray, y: np.ndarray, learning_rate: float = 1e-2, seed: int = 0):
    """One optimiser step (RMSprop, sparse categorical cross-entropy) on one batch, eagerly and seeded.

    Eager, because tracing a tf.function for a single step costs more than
    the step; seeded, so Dropout draws the same masks on every run.
    """
    k = keras()
    k.utils.set_random_seed(seed)
    model.compile(optimizer=k.optimizers.RMSprop(learning_rate), loss="sparse_categorical_crossentropy",
                  run_eagerly=True)
    model.train_on_batch(x, y)


def with_head(base, input_shape: tuple, num_classes: int):
    """base -> Flatten -> Dense(num_classes, softmax): a small trainable head on a rebuilt base."""
    k = keras()
    inputs = k.Input(shape=tuple(input_shape))
    x = k.layers.Flatten()(base(inputs))
    return k.Model(inputs, k.layers.Dense(num_classes, activation="softmax")(x))


def is_probabilities(p: np.ndarray, num_classes: int, atol: float = 1e-4) -> bool:
    """Rows of non-negative numbers summing to 1: what a softmax output looks like."""
    return (p.ndim == 2 and p.shape[1] == num_classes and bool(np.all(p >= -atol))
            and bool(np.allclose(p.sum(axis=1), 1.0, atol=atol)))


def symmetric_range(value):
    """A Keras random-layer factor as (low, high): a number f means (-f, f), as the layers read it."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return (-abs(float(value)), abs(float(value)))
    if isinstance(value, (list, tuple)) and len(value) == 2 and all(isinstance(v, (int, float)) for v in value):
        return (float(value[0]), float(value[1]))
    return None


def same_range(got, want, tol: float = 1e-6) -> bool:
    a, b = symmetric_range(got), symmetric_range(want)
    return a is not None and b is not None and all(abs(x - y) <= tol for x, y in zip(a, b))


# ----------------------------------------------------------------------------
# statistical tests for functions that draw from a Generator
#
# A correct random_flip / random_crop is judged on many calls; the tests below
# reject it only with a stated, exact probability. Each test is two-sided and
# exact (binomial tails summed in log space, no normal approximation), and a
# family of tests is Bonferroni-corrected, so P(reject | correct) <= alpha.

def _log_pmfs(n: int, p: float) -> list[float]:
    from math import lgamma, log, log1p
    return [lgamma(n + 1) - lgamma(i + 1) - lgamma(n - i + 1) + i * log(p) + (n - i) * log1p(-p)
            for i in range(n + 1)]


def _log_sum(values: list[float]) -> float:
    from math import exp, log
    if not values:
        return float("-inf")
    top = max(values)
    return top + log(sum(exp(v - top) for v in values))


def binomial_tails(k: int, n: int, p: float) -> tuple[float, float]:
    """(P[X <= k], P[X >= k]) for X ~ Binomial(n, p), exactly."""
    from math import exp
    k, n, p = int(k), int(n), float(p)
    if p <= 0.0:
        return 1.0, (1.0 if k <= 0 else 0.0)
    if p >= 1.0:
        return (1.0 if k >= n else 0.0), 1.0
    logs = _log_pmfs(n, p)
    lower = exp(_log_sum(logs[:k + 1])) if k >= 0 else 0.0
    upper = exp(_log_sum(logs[max(k, 0):])) if k <= n else 0.0
    return min(lower, 1.0), min(upper, 1.0)


def binomial_consistent(k: int, n: int, p: float, alpha: float) -> bool:
    """Whether k successes in n trials are consistent with probability p, at level alpha (two-sided).

    Rejects when either exact tail is below alpha / 2, so a correct source is
    rejected with probability at most alpha.
    """
    lower, upper = binomial_tails(k, n, p)
    return lower >= alpha / 2 and upper >= alpha / 2


def uniform_consistent(groups: list[np.ndarray], alpha: float) -> list[tuple[int, int]]:
    """Cells whose counts are not consistent with uniform sampling; [] if all are.

    groups: count vectors, each over cells that a correct sampler hits with
    equal probability (e.g. the joint counts of crop corners, and the counts
    of each corner coordinate). Every cell's count is Binomial(total, 1/cells)
    under uniformity; each is tested at alpha / (number of cells in all
    groups), so the family rejects a correct sampler with probability at most
    alpha (Bonferroni). Returns (group index, cell index) of each rejected cell.
    """
    cells = sum(len(g) for g in groups)
    failed = []
    for g, counts in enumerate(groups):
        counts = np.asarray(counts)
        total = int(counts.sum())
        for c, count in enumerate(counts):
            if not binomial_consistent(int(count), total, 1.0 / len(counts), alpha / cells):
                failed.append((g, c))
    return failed
