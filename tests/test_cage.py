"""The Keras judge's allowlist (autograder/judge/allow.py), cost caps and cage (autograder/judge/cage.py)."""
import json
import os
import subprocess
import sys
import time

import numpy as np
import pytest

from autograder.judge import allow

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


# ------------------------------------------------------------------ the allowlist, on plain JSON (no Keras)

def _obj(class_name, config=None, module="keras.layers", registered=None):
    return {"module": module, "class_name": class_name, "config": config or {}, "registered_name": registered}


def _sequential(*layers):
    return json.dumps(_obj("Sequential", {"name": "s", "layers": [
        _obj("InputLayer", {"batch_shape": [None, 4]}), *layers]}, module="keras"))


def test_plain_builtin_layers_pass():
    assert allow.config_problem(_sequential(_obj("Dense", {"units": 3, "activation": "relu", "kernel_initializer":
                                                           _obj("GlorotUniform", module="keras.initializers")}))) is None


@pytest.mark.parametrize("layer, words", [
    (_obj("Lambda", {"function": _obj("function", "set_max_epochs", module="keras.config")}), "Lambda"),
    (_obj("Dense", {"units": 2, "activation": _obj("function", "set_max_epochs", module="keras.config",
                                                   registered="function")}), "function (set_max_epochs)"),
    (_obj("Dense", {"units": 2, "kernel_initializer": _obj("__lambda__", {"code": "x"})}), "function"),
    (_obj("Smuggle", module="__main__"), "not one of Keras' built-in layers"),
    (_obj("Dense", module="keras.src.backend.config"), "not one of Keras' built-in layers"),
    (_obj("Dense", {"units": 2}, registered="student>Dense"), "custom class"),
    (_obj("TFSMLayer"), "not one of Keras' built-in layers"),
    (_obj("Dense", {"units": 2, "activation": "set_max_epochs"}), "not one of Keras' built-in activations"),
    (_obj("Reshape", {"target_shape": [2, 2], "build_config": {"input_shape": [None, 100000, 100000, 3]}}),
     "100000"),
])
def test_refused(layer, words):
    problem = allow.config_problem(_sequential(layer))
    assert problem is not None and words in problem, problem


def test_refuses_huge_declared_inputs_and_inferred_tensor_shapes():
    huge = json.dumps(_obj("InputLayer", {"batch_shape": [None, 100000, 100000, 3]}))
    assert "more than" in allow.config_problem(huge)
    tensor = {"class_name": "__keras_tensor__", "config": {"shape": [None, 65536, 65536, 1], "dtype": "float32"}}
    assert "more than" in allow.config_problem(_sequential(_obj("Dense", {"units": 2, "inbound": [tensor]})))
    assert "whole number" in allow.config_problem(json.dumps(_obj("InputLayer", {"batch_shape": [None, -4]})))


@pytest.mark.parametrize("text", ["[" * 100000 + "]" * 100000, "not json", "x" * (allow.MAX_CONFIG_CHARS + 1)])
def test_refuses_malformed_configs_without_raising(text):
    assert allow.config_problem(text) is not None


def test_deep_nesting_is_refused():
    tree = node = {}
    for _ in range(allow.MAX_DEPTH + 5):
        node["x"] = {}
        node = node["x"]
    assert "nested" in allow.tree_problem(tree)


# ------------------------------------------------------------------ against the installed Keras

keras = pytest.importorskip("keras")


def test_allowlisted_names_exist_in_keras():
    import importlib
    for module, names in allow.ALLOWED.items():
        where = [importlib.import_module(module)]
        if module == "keras":
            where.append(importlib.import_module("keras.dtype_policies"))
        for name in names:
            assert any(hasattr(m, name) for m in where), "%s.%s" % (module, name)
    for name in allow.ACTIVATIONS:
        assert callable(keras.activations.get(name)), name


def test_rmsprop_keys_are_those_of_keras():
    from autograder.exercises import ex7
    assert set(keras.optimizers.RMSprop().get_config()) == ex7.RMSPROP_KEYS


def test_every_model_of_the_reference_and_the_base_passes():
    import coursedata
    from reference import augmentation, features, residual
    base = coursedata.load_pretrained_base()
    models = [augmentation.build_augmentation(), residual.build_residual_model((32, 32, 3)),
              features.build_feature_classifier((4, 4, 32), 5), base,
              features.build_frozen_model(base, 5, augmentation.build_augmentation())]
    from autograder import keras_checks as kc
    for model in models:
        assert allow.config_problem(model.to_json()) is None, model.name
        assert kc.cost_problem(model) is None, model.name
    assert kc.cost_problem(models[2], kc.MAX_TRAIN_MACS) is None


def _expensive(feature_shape=(4, 4, 32), up=32, convs=4):
    layers = keras.layers
    inputs = keras.Input(shape=feature_shape)
    x = layers.UpSampling2D(up)(inputs)
    for _ in range(convs):
        x = layers.Conv2D(64, 3, padding="same", activation="relu")(x)
    x = layers.Dropout(0.5)(layers.Dense(16, activation="relu")(layers.GlobalAveragePooling2D()(x)))
    return keras.Model(inputs, layers.Dense(5, activation="softmax")(x))


def test_cost_caps_refuse_cheap_to_ship_expensive_to_run_models():
    from autograder import keras_checks as kc
    from autograder.child.probes import model_payload
    model = _expensive()
    assert model.count_params() < 200_000                         # cheap to ship
    assert "multiply-adds" in kc.cost_problem(model)
    with pytest.raises(kc.ModelRejected, match="multiply-adds"):
        kc.rebuild(model_payload(model))
    small = _expensive(up=8, convs=2)                              # fine to run a few times, not to train
    assert kc.cost_problem(small) is None and kc.cost_problem(small, kc.MAX_TRAIN_MACS) is not None
    wide = keras.Sequential([keras.Input((64, 64, 4)), keras.layers.UpSampling2D(64)])
    assert "numbers per sample" in kc.cost_problem(wide)


# ------------------------------------------------------------------ the cage

def _outcome(model):
    from autograder.child.probes import model_payload
    from autograder.sandbox import Outcome
    return Outcome("value", value=model_payload(model))


def test_cage_kills_an_overrunning_judgement_and_judges_the_next_one():
    """Unknown input sizes pass the static caps; the cage's time limit stops the run, the next one is judged."""
    from autograder.exercises import ex6
    from autograder.judge import cage
    from reference import features
    task = ex6.EXERCISE.task("build_feature_classifier")
    case = task.public[0]
    slow = _expensive(feature_shape=(None, None, 32), up=64, convs=6)
    assert allow.config_problem(slow.to_json()) is None
    good = features.build_feature_classifier((4, 4, 32), 5)
    started = time.perf_counter()
    verdict = cage.judge_cases("ex6", task, [(case, _outcome(slow))], case_seconds=6)[0]
    seconds = time.perf_counter() - started
    assert not verdict.passed and "limits" in verdict.message, verdict.message
    assert seconds < 6 + 30 + 60, seconds       # the limit, the deadline's slack, a cold start of the server
    verdict = cage.judge_cases("ex6", task, [(case, _outcome(good))])[0]
    assert verdict.passed, verdict.message


def test_cage_refuses_before_starting_anything():
    from autograder.exercises import ex6
    from autograder.judge import cage
    bad = keras.Sequential([keras.Input((100000, 100000, 3)), keras.layers.Flatten()])
    verdict = cage.precheck(_outcome(bad))
    assert verdict is not None and not verdict.passed and "more than" in verdict.message
    task = ex6.EXERCISE.task("build_feature_classifier")
    assert cage.judge_cases("ex6", task, [(task.public[0], _outcome(bad))])[0].message == verdict.message


def test_grading_a_keras_exercise_does_not_import_keras_in_the_grader():
    """The long-lived grader never runs Keras: only the cage's forks do."""
    script = ("import sys; from autograder import exercises, grading; from autograder.submission import load; "
              "r = grading.grade(exercises.load('ex7'), load('tests/corpus/ex7/correct_listing.py'), hidden=False); "
              "print(r.score, r.max_score, 'keras' in sys.modules, 'tensorflow' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, timeout=900,
                         env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3"))
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split()[-4:] == ["10.0", "10", "False", "False"], out.stdout


def test_plain_reference_answers_come_back_and_are_reused():
    """ex7's expected flags are worked out once in a judging process, before any student model, then reused."""
    from autograder.child import probes
    from autograder.exercises import ex7
    from autograder.judge import cage
    from autograder.memo import Memo
    from autograder.sandbox import Outcome
    probes.ASSETS = os.path.join(REPO, "coursedata")

    def freeze_all_but_last(conv_base, n=4):
        conv_base.trainable = True
        for i, layer in enumerate(conv_base.layers):
            layer.trainable = i >= len(conv_base.layers) - n
        return conv_base
    task = ex7.EXERCISE.task("freeze_all_but_last")
    case = task.public[1]                                    # n = 4, base arrives frozen
    outcome = Outcome("value", value=probes.freeze(freeze_all_but_last, *case.args))
    memo = Memo()
    first = cage.judge_cases("ex7", task, [(case, outcome)], answers=memo)[0]
    assert first.passed, first.message
    found, value = memo.peek(cage._answer_key(task, case))
    assert found and value == ex7.reference_freeze(*case.args)
    assert cage._with_answer(memo, task, case).precomputed == {"expected": value}
    second = cage.judge_cases("ex7", task, [(case, outcome)], answers=memo)[0]
    assert second.passed, second.message


# ------------------------------------------------------------------ the request channel: data, never a pickle

def _read_back(frame):
    from autograder.judge import request
    read_end, write_end = os.pipe()
    os.write(write_end, frame)     # small enough for the pipe's buffer
    os.close(write_end)
    try:
        return request.read(read_end, seconds=10)
    finally:
        os.close(read_end)


def test_a_request_crosses_to_the_judge_as_it_was_sent():
    from autograder.child.wire import RngSeed, Unsupported
    from autograder.judge import request
    from autograder.sandbox import Outcome
    from autograder.spec import Case
    case = Case("4x4 input, n = 2", (np.arange(6, dtype=np.float32).reshape(2, 3), 2, (3, 3), RngSeed(7)),
                {"padding": "same", "scale": np.int16(-3)}, expect="value", hidden=True,
                precomputed={"expected": [True, False]})
    outcome = Outcome("value", value={"config": "{}", "weights": [np.ones((2, 2)), np.zeros(3, dtype=np.int8)],
                                      "odd": Unsupported("a generator")},
                      error=None, args_after=[np.float32(1.5)], seconds=0.25)
    got = _read_back(request.encode("ex5", "build_residual_model", [(case, outcome)], 512, 30.0))
    assert (got["exercise"], got["task"], got["memory_mb"], got["seconds"]) == ("ex5", "build_residual_model", 512, 30.0)
    (case2, outcome2), = got["items"]
    assert (case2.label, case2.expect, case2.hidden, case2.precomputed) == (case.label, "value", True, case.precomputed)
    assert type(case2.args) is tuple and case2.args[1:3] == (2, (3, 3))
    assert case2.args[0].dtype == np.float32 and case2.args[0].tolist() == case.args[0].tolist()
    assert type(case2.args[3]) is RngSeed and case2.args[3] == 7      # a seed stays a seed (call_reference uses it)
    assert case2.kwargs["scale"].dtype == np.int16 and case2.kwargs["scale"] == -3
    assert outcome2.kind == "value" and outcome2.seconds == 0.25 and outcome2.args_after[0].dtype == np.float32
    weights = outcome2.value["weights"]
    assert weights[1].dtype == np.int8 and weights[0].tolist() == [[1.0, 1.0], [1.0, 1.0]]
    assert isinstance(outcome2.value["odd"], Unsupported) and outcome2.value["odd"].type_name == "a generator"


def test_a_case_the_wire_cannot_carry_is_refused_before_sending():
    from autograder.judge import request
    from autograder.sandbox import Outcome
    from autograder.spec import Case
    with pytest.raises(ValueError, match="cannot carry"):
        request.encode("ex5", "t", [(Case("x", (object(),)), Outcome("value", value=1))], 512, 1.0)


def test_the_judge_server_never_unpickles_a_request(tmp_path):
    """Attack: whoever reaches the judge's socket sends a pickle that runs a command when loaded."""
    import pickle
    import socket
    import struct
    from autograder.judge import cage
    marker = tmp_path / "ran"

    class Boom:
        def __reduce__(self):
            return (os.system, ("touch %s" % marker,))
    payload = pickle.dumps({"exercise": "ex7", "task": "freeze_all_but_last", "items": [Boom()],
                            "memory_mb": 512, "seconds": 10.0})
    conn = cage._SERVER.connect()
    reader = cage._Lines(conn, time.monotonic() + 120)
    assert isinstance(reader.line().get("pid"), int)
    conn.sendall(struct.pack("!Q", len(payload)) + payload)   # as the grader used to frame its pickles
    conn.shutdown(socket.SHUT_WR)
    assert reader.line() is None                              # refused: no verdict, the fork ended
    conn.close()
    time.sleep(1)
    assert not marker.exists()
