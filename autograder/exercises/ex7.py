"""ex7 fine-tuning with partial freezing (Chollet, listing 8.27).

``freeze_all_but_last`` runs in the child on a fresh copy of the shipped base
that arrives trainable or frozen (probe ``freeze``); the base comes back as
its config and weights. In the cage (autograder/judge) the base is rebuilt
from that config (allowlist, safe mode), every trainable flag read from the
rebuilt config, and the base given a small head and trained for one step:
exactly the unfrozen layers' trainable weights must move.
``compile_for_fine_tuning`` is judged here, in the grader, on the model's
serialized compile config (probe ``compile_config``): only Keras' own RMSprop,
by module, class name and config keys, is accepted, never a class name the
child reports.
"""
from __future__ import annotations

import functools


from .. import keras_checks as kc
from ..spec import Case, Exercise, Misconception, Task, Verdict

LOOK_FREEZE = "notebook ex7, section 'Freezing all layers but the last few' (Chollet, listing 8.27)"
LOOK_COMPILE = "notebook ex7, section 'Compiling for fine-tuning'"

NUM_LAYERS = 10        # the shipped base's top-level layers (coursedata/make_pretrained_base.py)
LR_RTOL = 1e-5         # the optimiser stores its learning rate as float32

N_ZERO = Misconception(
    "n-zero-slice", "with n = 0, layers[:-n] freezes nothing",
    "-0 is 0, so conv_base.layers[:-0] is layers[:0], the empty list, and every layer stays trainable. "
    "Handle n = 0 separately, or slice with an index: layers[:len(layers) - n].")
FORGOT_TRAINABLE = Misconception(
    "forgot-base-trainable", "the base is not made trainable first",
    "A base that arrives frozen (conv_base.trainable = False) keeps every layer frozen until you set "
    "conv_base.trainable = True; do that first, then freeze all but the last n layers.")
OFF_BY_ONE = Misconception(
    "off-by-one", "one layer too many or too few is left trainable",
    "Exactly the last n entries of conv_base.layers stay trainable: layers[len(layers) - n:], "
    "i.e. the layers with index >= len(layers) - n.")
WRONG_LR = Misconception(
    "learning-rate", "the learning rate is not the argument",
    "Pass the argument on: keras.optimizers.RMSprop(learning_rate=learning_rate). A hard-coded value, or "
    "optimizer=\"rmsprop\" (learning rate 1e-3), is not the small rate fine-tuning needs.")
WRONG_OPTIMIZER = Misconception(
    "wrong-optimizer", "the optimizer is not RMSprop",
    "Fine-tuning in the lecture uses keras.optimizers.RMSprop(learning_rate).")
CATEGORICAL = Misconception(
    "categorical-crossentropy", "categorical instead of sparse categorical cross-entropy",
    "The labels are integers (0, 1, 2, ...), not one-hot vectors: use loss=\"sparse_categorical_crossentropy\".")

ACCURACY_NAMES = {"accuracy", "acc", "sparse_categorical_accuracy"}
SPARSE_LOSS = "sparse_categorical_crossentropy"
JUDGED_IN_GRADER = ("compile_for_fine_tuning",)   # JSON only: no Keras, no cage
# the keys of keras.optimizers.RMSprop().get_config() (tests/test_keras_checks.py checks them against Keras)
RMSPROP_KEYS = frozenset({"name", "learning_rate", "weight_decay", "clipnorm", "global_clipnorm", "clipvalue",
                          "use_ema", "ema_momentum", "ema_overwrite_frequency", "loss_scale_factor",
                          "gradient_accumulation_steps", "rho", "momentum", "epsilon", "centered"})
MAX_COMPILE_CONFIG = 200_000    # characters of a compile config


@functools.lru_cache(maxsize=None)
def _ref():
    kc.keras()
    from reference import finetuning
    return finetuning


def _base():
    kc.keras()
    import coursedata
    return coursedata.load_pretrained_base()


@functools.lru_cache(maxsize=1)
def _batch():
    import coursedata
    x_train, y_train = coursedata.load_target_task()[:2]
    return x_train[:16], y_train[:16]


# ---------------------------------------------------------------- freeze_all_but_last

def reference_freeze(n, arrive_trainable):
    """The flags the reference leaves: {"flags": per layer, "n": n used}."""
    base = _base()
    base.trainable = arrive_trainable
    out = _ref().freeze_all_but_last(base) if n is None else _ref().freeze_all_but_last(base, n)
    return {"flags": [bool(layer.trainable) for layer in out.layers], "n": 4 if n is None else int(n),
            "arrive_trainable": bool(arrive_trainable)}


def _pattern(count, n):
    return [i >= count - n for i in range(count)]


def judge_freeze(result, expected) -> Verdict:
    problem = kc.payload_problem(result)
    if problem:
        return problem
    try:
        base = kc.rebuild(result)
    except kc.ModelRejected as exc:
        return Verdict(False, str(exc))
    # the flags as the rebuilt config holds them (never a list the child reports beside it)
    flags, want, n = [bool(layer.trainable) for layer in base.layers], expected["flags"], expected["n"]
    if len(flags) != len(want):
        return Verdict(False, "the base's layers were changed (added or removed); only set their trainable flags")
    if not _model_trainable(result):
        why = FORGOT_TRAINABLE if not expected["arrive_trainable"] else None
        return Verdict(False, "conv_base.trainable is False afterwards, so no layer of the base can train; "
                       "set conv_base.trainable = True first", misconception=why)
    if flags != want:
        count = len(want)
        why = None
        if n == 0 and all(flags):
            why = N_ZERO
        elif flags in (_pattern(count, n - 1), _pattern(count, n + 1)):
            why = OFF_BY_ONE
        elif not expected["arrive_trainable"] and not any(flags[count - n:] if n else flags):
            why = FORGOT_TRAINABLE
        trainable = sum(bool(f) for f in flags)
        return Verdict(False, "%d of the %d layers are trainable afterwards, not the right ones"
                       % (trainable, count),
                       "expected trainable flags %s, got %s" % (want, flags), misconception=why)
    if not result.get("same_object"):    # child-reported: see child/probes.py on why it cannot raise a score
        return Verdict(False, "the flags are right, but the function must return the same conv_base object "
                       "(return conv_base)")
    return _judge_training_step(base, want)


def _model_trainable(payload) -> bool:
    """The base's own trainable flag, from its serialized config (a Sequential does not rebuild it)."""
    import json
    try:
        config = json.loads(payload["config"]).get("config")
    except (ValueError, RecursionError, AttributeError):
        return False
    return not isinstance(config, dict) or config.get("trainable", True) is not False


def _judge_training_step(base, flags) -> Verdict:
    """Add a head to the rebuilt base, train one step: exactly the unfrozen layers move."""
    x, y = _batch()
    model = kc.with_head(base, x.shape[1:], 5)
    before_all, before_trainable = kc.snapshot(base.layers), kc.trainable_snapshot(base.layers)
    kc.train_step(model, x, y)
    any_moved = kc.moved(before_all, kc.snapshot(base.layers))
    trainable_moved = kc.moved(before_trainable, kc.trainable_snapshot(base.layers))
    for layer, flag, did_move, learnt, weights in zip(base.layers, flags, any_moved, trainable_moved,
                                                        before_trainable):
        if did_move and not flag:   # a frozen layer: nothing moves, BatchNormalization's statistics included
            return Verdict(False, "one training step changed the weights of the frozen layer %r" % layer.name)
        if flag and weights and not learnt:
            return Verdict(False, "one training step left the trainable layer %r unchanged" % layer.name)
    return Verdict(True)


# Audit (EXERCISES.md is the contract; each case names the sentence it checks).
#
# freeze_all_but_last: "make the base trainable, then freeze every layer but the last `n` ... `n = 0` freezes
# every layer; `n` at least the number of layers leaves all trainable; `ValueError` for `n < 0`. Graded on
# the base's and every layer's flags, with bases that arrive frozen as well as trainable, and on one training
# step". n = 0 shows the layers[:-0] slice; a frozen base shows forgot-base-trainable; 1 <= n < count shows
# an off-by-one; n = count and n > count; the default n = 4.
def _freeze_hidden(rng):
    return [
        Case("n = 2, base arrives frozen", (2, False)),
        Case("n = 10 (every layer), base arrives trainable", (NUM_LAYERS, True)),
        Case("n = 13 (more than the layers), base arrives frozen", (NUM_LAYERS + 3, False)),
        Case("n = 0, base arrives frozen", (0, False)),
        Case("default n, base arrives frozen", (None, False)),
        Case("n = 1, base arrives trainable", (1, True)),
        Case("negative n", (-1, True), expect="raises", reason="n must be >= 0"),
    ]


# ---------------------------------------------------------------- compile_for_fine_tuning

def reference_compile(learning_rate):
    return {"learning_rate": 1e-5 if learning_rate is None else float(learning_rate),
            "optimizer": "RMSprop", "loss": SPARSE_LOSS}


def judge_compile(result, expected) -> Verdict:
    if not isinstance(result, dict) or "compiled" not in result:
        return Verdict(False, "returned something the grader cannot use")
    if not result.get("compiled"):
        return Verdict(False, "the model was not compiled: call model.compile(...)")
    config = _compile_config(result.get("compile_config"))
    if config is None:
        return Verdict(False, "the model's compile settings cannot be saved by Keras (a custom optimizer, loss "
                       "or metric?); use keras.optimizers.RMSprop and the loss and metric names")
    optimizer = config.get("optimizer")
    name = _optimizer_name(optimizer)
    if name != "RMSprop":
        return Verdict(False, "compiled with the optimizer %s, not keras.optimizers.RMSprop" % name,
                       misconception=WRONG_OPTIMIZER)
    rate, want = optimizer["config"].get("learning_rate"), expected["learning_rate"]
    if isinstance(rate, bool) or not isinstance(rate, (int, float)):
        return Verdict(False, "the optimizer's learning rate is not a number (a schedule?); pass the "
                       "learning_rate argument", misconception=WRONG_LR)
    rate = float(rate)
    if abs(rate - want) > LR_RTOL * want:
        hard_coded = any(abs(rate - v) <= LR_RTOL * v for v in (1e-5, 1e-3, 1e-4) if abs(v - want) > LR_RTOL * want)
        return Verdict(False, "the optimizer's learning rate is %g, not the learning_rate argument%s"
                       % (rate, " (a fixed value?)" if hard_coded else ""),
                       "expected %g" % want, misconception=WRONG_LR)
    loss, from_logits = _loss(config.get("loss"))
    if loss != SPARSE_LOSS:
        why = CATEGORICAL if loss in ("categorical_crossentropy", "CategoricalCrossentropy") else None
        return Verdict(False, "the loss is %r, not \"sparse_categorical_crossentropy\"" % loss[:80],
                       misconception=why)
    if from_logits:
        return Verdict(False, "the loss has from_logits=True, but the model already outputs softmax probabilities")
    metrics = [_metric(m) for m in _flat(config.get("metrics"))]
    if not ACCURACY_NAMES & set(metrics):
        return Verdict(False, "the metrics %s do not include accuracy: metrics=[\"accuracy\"]"
                       % [m[:40] for m in metrics[:5]])
    if not result.get("same_object"):    # child-reported: see child/probes.py on why it cannot raise a score
        return Verdict(False, "the model is compiled right, but the function must return it (return model)")
    return Verdict(True)


def _compile_config(text) -> dict | None:
    import json
    if not isinstance(text, str) or not text or len(text) > MAX_COMPILE_CONFIG:
        return None
    try:
        config = json.loads(text)
    except (ValueError, RecursionError):
        return None
    return config if isinstance(config, dict) else None


def _builtin(item, module: str) -> bool:
    """A serialized object of Keras' own ``module``: no registered (custom) name."""
    return (isinstance(item, dict) and item.get("module") == module and item.get("registered_name") is None
            and isinstance(item.get("class_name"), str) and isinstance(item.get("config"), dict))


def _optimizer_name(optimizer) -> str:
    """The optimizer's class if it is one of Keras' own, by its serialized config; a description otherwise.

    An Adam subclass named RMSprop (whatever __module__ it claims) is not
    accepted: its serialized config has Adam's keys, or a registered name.
    """
    if isinstance(optimizer, str):
        return optimizer[:40]
    if not isinstance(optimizer, dict):
        return "(unknown)"
    name = str(optimizer.get("class_name"))[:40]
    if not _builtin(optimizer, "keras.optimizers"):
        return "%s (not Keras' own class)" % name
    if name == "RMSprop" and set(optimizer["config"]) != RMSPROP_KEYS:
        return "RMSprop (its settings are not those of keras.optimizers.RMSprop)"
    return name


def _loss(loss) -> tuple[str, bool]:
    """(the loss as a name, from_logits) if it is one of Keras' own; a description that matches nothing otherwise."""
    if isinstance(loss, str):
        return loss, False
    if isinstance(loss, dict) and loss.get("class_name") == "function" and isinstance(loss.get("config"), str):
        return loss["config"], False                    # a function, resolved by name when loaded: Keras' own
    if _builtin(loss, "keras.losses"):
        name = loss["class_name"]
        snake = {"SparseCategoricalCrossentropy": SPARSE_LOSS, "CategoricalCrossentropy": "categorical_crossentropy"}
        return snake.get(name, name), bool(loss["config"].get("from_logits"))
    return ("(a custom loss)" if isinstance(loss, dict) else "(none)"), False


def _metric(metric) -> str:
    if isinstance(metric, str):
        return metric
    if isinstance(metric, dict) and metric.get("class_name") == "function" and isinstance(metric.get("config"), str):
        return metric["config"]
    if _builtin(metric, "keras.metrics"):
        snake = {"SparseCategoricalAccuracy": "sparse_categorical_accuracy", "Accuracy": "accuracy"}
        return snake.get(metric["class_name"], metric["class_name"])
    return "(a custom metric)"


def _flat(items, depth=0):
    """Metrics as a flat list, whether given as a list, a nested list or a dict of lists."""
    if items is None or depth > 5:
        return []
    if isinstance(items, dict) and "class_name" not in items:
        items = list(items.values())
    if not isinstance(items, list):
        return [items]
    flat = []
    for item in items[:50]:
        flat.extend(_flat(item, depth + 1) if isinstance(item, (list, dict)) and not (
            isinstance(item, dict) and "class_name" in item) else [item])
    return flat


EXERCISE = Exercise(
    key="ex7", topic="finetuning", title="Fine-tuning with partial freezing", uses_keras=True, preload=("keras",),
    tasks=(
        Task("freeze_all_but_last", 5, reference_freeze, judge_freeze,
             public=(Case("n = 4, base arrives trainable", (4, True)),
                     Case("n = 4, base arrives frozen", (4, False)),
                     Case("n = 0 (freeze every layer), base arrives trainable", (0, True))),
             hidden=_freeze_hidden, look_at=LOOK_FREEZE, timeout=60, probe="freeze",
             misconceptions=(N_ZERO, FORGOT_TRAINABLE, OFF_BY_ONE)),
        Task("compile_for_fine_tuning", 5, reference_compile, judge_compile,
             # "compile with `keras.optimizers.RMSprop(learning_rate)`, loss "sparse_categorical_crossentropy",
             # metrics ["accuracy"]; return the model": the default 1e-5 and other rates (a fixed rate fails)
             public=(Case("the default learning rate", (None,)),
                     Case("learning_rate=3e-4", (3e-4,))),
             hidden=lambda rng: [Case("learning_rate=1e-4", (1e-4,)),
                                 Case("learning_rate=2e-5", (2e-5,)),
                                 Case("learning_rate=0.01", (0.01,))],
             look_at=LOOK_COMPILE, timeout=60, probe="compile_config",
             misconceptions=(WRONG_LR, WRONG_OPTIMIZER, CATEGORICAL)),
    ),
)
