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
    """The keras module, imported on first use with TensorFlow's start-up chatter silenced."""
    import sys
    if "keras" not in sys.modules:
        saved = os.dup(2)
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, 2)
        try:
            import keras as _keras  # noqa: F401
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            os.close(null)
    import keras as _keras
    return _keras


def payload_problem(result) -> Verdict | None:
    """A failing Verdict if ``result`` is not a model payload from a probe."""
    if isinstance(result, Unsupported):
        return Verdict(False, "returned %s, which the grader cannot use" % result.type_name)
    if not isinstance(result, dict) or not isinstance(result.get("config"), str):
        return Verdict(False, "did not return a Keras model")
    return None


def rebuild(payload: dict):
    """The student's model rebuilt from its config (safe mode) with its weights set."""
    k = keras()
    try:
        model = k.models.model_from_json(payload["config"])
    except Exception as exc:  # noqa: BLE001 - any failure means the config is not standard Keras
        text = str(exc)
        if "Lambda" in text:
            raise ModelRejected("the model contains a Lambda layer; use Keras' built-in layers only") from None
        raise ModelRejected("the model could not be rebuilt from its config; use Keras' built-in layers "
                            "only (no custom Layer subclasses): %s" % text.splitlines()[0][:200]) from None
    try:
        model.set_weights(payload.get("weights") or [])
    except Exception as exc:  # noqa: BLE001
        raise ModelRejected("the model's weights do not fit its config (%s)" % str(exc)[:200]) from None
    return model


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
