"""ex5 residual blocks: graded by structure, parameter count and outputs with shared weights.

Keras is imported only when a case is judged, so listing exercises stays fast.
"""
from __future__ import annotations

import numpy as np

from .. import keras_checks as kc
from ..spec import Case, Exercise, Misconception, Task, Verdict

LOOK = "notebook ex5, the residual listing (lecture: 'Residual Connections')"

NOT_DOWNSAMPLED = Misconception(
    "shortcut-not-downsampled", "the shortcut does not match the block's output",
    "When the block pools, its output is half the size, so the shortcut must shrink too: project it with "
    "Conv2D(filters, 1, strides=2). When only the number of filters changes, Conv2D(filters, 1) suffices; "
    "otherwise the shortcut is the input itself.")
UNNEEDED_PROJECTION = Misconception(
    "unneeded-projection", "a projection where the identity belongs",
    "If the block neither pools nor changes the number of channels, the shortcut is the input itself: "
    "no 1x1 convolution (it would add parameters the listing does not have).")
MISSING_RESCALING = Misconception(
    "missing-rescaling", "the pixels are not scaled to [0, 1]",
    "The listing scales pixels from [0, 255] to [0, 1] right after the input (layers.Rescaling(1./255), or "
    "inputs / 255.0); without it the shapes and parameter count are right but every output differs.")


def _ref():
    kc.keras()
    from reference import residual
    return residual


def reference_block(input_shape, filters, pooling):
    k = kc.keras()
    inputs = k.Input(shape=tuple(input_shape))
    return k.Model(inputs, _ref().residual_block(inputs, filters, pooling=pooling))


def reference_model(input_shape):
    return _ref().build_residual_model(tuple(input_shape))


def _shortcut(model):
    """'identity', 'projection' or 'strided projection' from the model's 1x1 convolutions."""
    ones = kc.conv_layers(model, 1)
    if not ones:
        return "identity"
    return "strided projection" if tuple(ones[0].strides) == (2, 2) else "projection"


def _same_outputs(student, reference, x):
    """Transplant the reference's weights into the student's model; compare outputs on x."""
    for kernel in (3, 1):
        if not kc.transplant(kc.conv_layers(reference, kernel), kc.conv_layers(student, kernel)):
            return False
    dense = [lyr for lyr in kc.all_layers(reference) if type(lyr).__name__ == "Dense"]
    if not kc.transplant(dense, [lyr for lyr in kc.all_layers(student) if type(lyr).__name__ == "Dense"]):
        return False
    return kc.compare_arrays(kc.outputs(student, x), kc.outputs(reference, x))


def _judge(result, reference, whole_model):
    student, problem = kc.rebuilt(result)
    if problem:
        return problem
    got, want = kc.output_shape(student), kc.output_shape(reference)
    if got != want:
        return Verdict(False, "the output has shape %s, which is not the expected shape" % (got,),
                       "expected %s" % (want,))
    # EXERCISES.md: graded "on shapes, shortcut, parameter count and outputs"; how the pixels are scaled
    # (a Rescaling layer or inputs / 255.0) is not named, so only its effect on the outputs is judged.
    if _shortcut(student) != _shortcut(reference):
        wrong = UNNEEDED_PROJECTION if _shortcut(reference) == "identity" else NOT_DOWNSAMPLED
        return Verdict(False, "the shortcut is a %s; this block needs a different one" % _shortcut(student),
                       "expected: %s" % _shortcut(reference), misconception=wrong)
    if kc.count_params(student) != kc.count_params(reference):
        return Verdict(False, "%d trainable parameters, which is not the listing's count"
                       % kc.count_params(student), "expected %d" % kc.count_params(reference))
    shape = tuple(reference.input.shape[1:])
    x = np.random.default_rng(0).uniform(0, 255 if whole_model else 1, size=(2,) + shape).astype("float32")
    if not _same_outputs(student, reference, x):
        if whole_model and kc.compare_arrays(kc.outputs(student, x / 255.0), kc.outputs(reference, x)):
            return Verdict(False, "with the reference's weights copied in, the outputs are the listing's for "
                           "images 255 times brighter: the pixels are not scaled to [0, 1]",
                           misconception=MISSING_RESCALING)
        return Verdict(False, "with the reference's weights copied in, the outputs differ: check "
                       "activation=\"relu\" and padding=\"same\" on both 3x3 convolutions, the order "
                       "conv, conv, pool, and that the shortcut is added (layers.add), not concatenated")
    return Verdict(True)


def explain_error(error):
    """A Keras shape error while adding the shortcut means it was not projected."""
    text = (error.get("message") or "") + error.get("type", "")
    if "ncompatible" in text or "shape" in text.lower() and ("add" in text.lower() or "Add" in text):
        return NOT_DOWNSAMPLED
    return None


# Contract (EXERCISES.md, ex5): residual_block is "graded on output shapes, the shortcut (identity, 1x1
# projection, or strided 1x1 projection), parameter count, and outputs"; the listing pools with
# MaxPooling2D(2, padding="same"), so an odd side must give ceil(n / 2) (a valid-padded pool breaks the add).
def _block_hidden(rng):
    return [# pooling with C == F: still the strided projection (a "no projection, same channels" slip fails)
            Case("8x8x16 input, 16 filters, pooling", ((8, 8, 16), 16, True)),
            # pooling on odd sides: padding="same" gives ceil(n / 2); a valid-padded pool does not fit the add
            Case("odd 9x9x3 input, 6 filters, pooling", ((9, 9, 3), 6, True)),
            Case("odd non-square 7x10x4 input, 4 filters, pooling", ((7, 10, 4), 4, True)),
            # no pooling, filters == channels: the identity shortcut (an unneeded projection fails)
            Case("10x10x8 input, 8 filters, no pooling", ((10, 10, 8), 8, False)),
            # no pooling, filters != channels: the 1x1 projection, unstrided
            Case("7x7x4 input, 12 filters, no pooling", ((7, 7, 4), 12, False))]


# build_residual_model: "the whole model of the listing ... graded like the block, outputs included (a missing
# Rescaling has the same shapes and parameters, but not the same outputs)". Inputs in [0, 255]; sides that are
# not multiples of the total stride 4 expose a pool without padding="same".
def _model_hidden(rng):
    return [Case("a 24x24x3 input", ((24, 24, 3),)),
            Case("a 32x32x1 input", ((32, 32, 1),)),
            Case("a 30x30x3 input (30 is not a multiple of the total stride 4)", ((30, 30, 3),)),
            Case("an odd 15x15x3 input", ((15, 15, 3),))]


EXERCISE = Exercise(
    key="ex5", topic="residual", title="Residual blocks", uses_keras=True, preload=("keras",),
    tasks=(
        Task("residual_block", 6, reference_block, lambda r, e: _judge(r, e, False),
             # the listing's three blocks: each shortcut kind once ("identity, 1x1 projection, or strided 1x1")
             public=(Case("32x32x3 input, 32 filters, pooling (strided 1x1 projection)", ((32, 32, 3), 32, True)),
                     Case("16x16x32 input, 32 filters, no pooling (identity shortcut)", ((16, 16, 32), 32, False)),
                     Case("16x16x32 input, 64 filters, no pooling (1x1 projection)", ((16, 16, 32), 64, False))),
             hidden=_block_hidden, look_at=LOOK, timeout=60, probe="residual_block",
             misconceptions=(NOT_DOWNSAMPLED, UNNEEDED_PROJECTION), explain_error=explain_error),
        Task("build_residual_model", 4, reference_model, lambda r, e: _judge(r, e, True),
             public=(Case("the listing's 32x32x3 input", ((32, 32, 3),)),),   # "keras.Input(shape=(32, 32, 3))"
             hidden=_model_hidden,
             look_at=LOOK, timeout=60, probe="residual_model",
             misconceptions=(MISSING_RESCALING, NOT_DOWNSAMPLED), explain_error=explain_error),
    ),
)
