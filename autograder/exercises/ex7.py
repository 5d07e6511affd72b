"""ex7 fine-tuning with partial freezing (Chollet, listing 8.27).

``freeze_all_but_last`` runs in the child on a fresh copy of the shipped base
that arrives trainable or frozen (probe ``freeze``); its flags come back in the
model payload. Here the base is rebuilt from that payload (safe mode, the flags
as reported), given a small head and trained for one step: exactly the
unfrozen layers' trainable weights must move. ``compile_for_fine_tuning`` is
judged on what the model was compiled with (probe ``compile_config``).
Keras and the reference are imported only when a case is judged.
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
    flags, want, n = result.get("trainable"), expected["flags"], expected["n"]
    if not isinstance(flags, list) or len(flags) != len(want):
        return Verdict(False, "the base's layers were changed (added or removed); only set their trainable flags")
    if result.get("base_trainable") is not True:
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
    if not result.get("same_object"):
        return Verdict(False, "the flags are right, but the function must return the same conv_base object "
                       "(return conv_base)")
    return _judge_training_step(result, want)


def _judge_training_step(payload, flags) -> Verdict:
    """Rebuild the base with the reported flags, add a head, train one step: exactly the unfrozen layers move."""
    try:
        base = kc.apply_payload_flags(kc.rebuild(payload), payload)
    except kc.ModelRejected as exc:
        return Verdict(False, str(exc))
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
    optimizer = str(result.get("optimizer"))
    if optimizer != "RMSprop" or not str(result.get("optimizer_module", "")).startswith("keras"):
        return Verdict(False, "compiled with the optimizer %s, not keras.optimizers.RMSprop" % optimizer,
                       misconception=WRONG_OPTIMIZER)
    rate, want = result.get("learning_rate"), expected["learning_rate"]
    if not isinstance(rate, float) or abs(rate - want) > LR_RTOL * want:
        hard_coded = any(abs(rate - v) <= LR_RTOL * v for v in (1e-5, 1e-3, 1e-4) if abs(v - want) > LR_RTOL * want) \
            if isinstance(rate, float) else False
        return Verdict(False, "the optimizer's learning rate is %g, not the learning_rate argument%s"
                       % (rate, " (a fixed value?)" if hard_coded else ""),
                       "expected %g" % want, misconception=WRONG_LR)
    loss = str(result.get("loss"))
    if loss != SPARSE_LOSS:
        why = CATEGORICAL if loss in ("categorical_crossentropy", "CategoricalCrossentropy") else None
        return Verdict(False, "the loss is %r, not \"sparse_categorical_crossentropy\"" % loss[:80],
                       misconception=why)
    if result.get("from_logits"):
        return Verdict(False, "the loss has from_logits=True, but the model already outputs softmax probabilities")
    metrics = [str(m) for m in result.get("metrics") or []]
    if not ACCURACY_NAMES & set(metrics):
        return Verdict(False, "the metrics %s do not include accuracy: metrics=[\"accuracy\"]" % metrics[:5])
    if not result.get("same_object"):
        return Verdict(False, "the model is compiled right, but the function must return it (return model)")
    return Verdict(True)


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
