"""Allowlist checks of a Keras model's serialized config, before anything is rebuilt from it.

Keras' safe mode refuses Python lambdas but still resolves any function or
class a config names inside Keras' own modules (``{"module": "keras.config",
"class_name": "function", "config": "set_max_epochs"}`` is called while the
model is rebuilt or run). So the config is walked here, as plain JSON, and
refused unless every serialized object in it is one of Keras' built-in
layers, models, dtype policies, initializers, regularizers, constraints,
optimizers, losses or metrics, by module and class name, with no registered
(custom) name; every activation named by a string is a built-in one; and no
declared input holds more than MAX_ELEMENTS numbers per sample. Nothing here
imports Keras, so the parent can refuse a model without starting anything.

The lists are static on purpose (reviewable, no import-time discovery that a
registered custom class could join); tests/test_keras_checks.py checks that
each name exists in the installed Keras.
"""
from __future__ import annotations

import json

MAX_CONFIG_CHARS = 4_000_000   # a model config; the shipped base's is about 8,000
MAX_DEPTH = 200                # nesting of the config's JSON
MAX_ELEMENTS = 1 << 22         # numbers per sample in any declared input (and, in keras_checks, any layer output)

LAYERS = frozenset("""
InputLayer Dense Conv1D Conv2D Conv3D SeparableConv2D DepthwiseConv2D Conv2DTranspose
MaxPooling1D MaxPooling2D AveragePooling1D AveragePooling2D GlobalAveragePooling1D GlobalAveragePooling2D
GlobalMaxPooling1D GlobalMaxPooling2D Flatten Reshape Permute RepeatVector Identity
Dropout SpatialDropout1D SpatialDropout2D GaussianNoise GaussianDropout AlphaDropout ActivityRegularization
BatchNormalization LayerNormalization GroupNormalization UnitNormalization
Activation ReLU LeakyReLU PReLU ELU Softmax
Add Subtract Multiply Average Maximum Minimum Concatenate Dot
ZeroPadding1D ZeroPadding2D Cropping1D Cropping2D UpSampling1D UpSampling2D
Rescaling Resizing CenterCrop RandomFlip RandomRotation RandomZoom RandomTranslation RandomContrast
RandomBrightness RandomCrop
""".split())
MODELS = frozenset({"Sequential", "Model"})     # a functional model is serialized as keras.src.models.functional
POLICIES = frozenset({"DTypePolicy", "FloatDTypePolicy"})
INITIALIZERS = frozenset("""
Constant GlorotNormal GlorotUniform HeNormal HeUniform Identity LecunNormal LecunUniform Ones Orthogonal
RandomNormal RandomUniform TruncatedNormal VarianceScaling Zeros
""".split())
REGULARIZERS = frozenset({"L1", "L2", "L1L2", "OrthogonalRegularizer"})
CONSTRAINTS = frozenset({"MaxNorm", "MinMaxNorm", "NonNeg", "UnitNorm"})
OPTIMIZERS = frozenset("""Adadelta Adafactor Adagrad Adam AdamW Adamax Ftrl Lion Nadam RMSprop SGD""".split())
LOSSES = frozenset("""
BinaryCrossentropy BinaryFocalCrossentropy CategoricalCrossentropy CategoricalFocalCrossentropy
CategoricalHinge Hinge Huber KLDivergence LogCosh MeanAbsoluteError MeanAbsolutePercentageError
MeanSquaredError MeanSquaredLogarithmicError Poisson SparseCategoricalCrossentropy SquaredHinge
""".split())
METRICS = frozenset("""
Accuracy BinaryAccuracy CategoricalAccuracy SparseCategoricalAccuracy TopKCategoricalAccuracy
SparseTopKCategoricalAccuracy AUC Precision Recall Mean MeanSquaredError MeanAbsoluteError
BinaryCrossentropy CategoricalCrossentropy SparseCategoricalCrossentropy
""".split())
# Keras' own operations on tensors, as a functional model serializes ``inputs / 255.0`` or ``x + y``:
# elementwise arithmetic and simple reductions, nothing that names a function
OPS = frozenset("""
Add Subtract Multiply Divide TrueDivide FloorDivide Negative Absolute Square Sqrt Power Maximum Minimum
Mean Sum Clip Reshape Transpose Concatenate ExpandDims Squeeze
""".split())
# (module as Keras serializes it, allowed class names)
ALLOWED = {
    "keras.layers": LAYERS,
    "keras": MODELS | POLICIES,
    "keras.models": MODELS,
    "keras.src.models.functional": frozenset({"Functional"}),
    "keras.src.models.sequential": frozenset({"Sequential"}),
    "keras.src.models.model": frozenset({"Model"}),
    "keras.initializers": INITIALIZERS,
    "keras.regularizers": REGULARIZERS,
    "keras.constraints": CONSTRAINTS,
    "keras.optimizers": OPTIMIZERS,
    "keras.losses": LOSSES,
    "keras.metrics": METRICS,
    "keras.src.ops.numpy": OPS,
}
ACTIVATIONS = frozenset("""
celu elu exponential gelu glu hard_shrink hard_sigmoid hard_silu hard_swish hard_tanh leaky_relu linear
log_sigmoid log_softmax mish relu relu6 selu sigmoid silu soft_shrink softmax softplus softsign sparse_plus
sparse_sigmoid sparsemax squareplus swish tanh tanh_shrink threshold
""".split())
SHAPE_KEYS = frozenset({"batch_shape", "batch_input_shape", "input_shape", "build_input_shape", "shape"})
SAFE_MARKERS = frozenset({"__tuple__", "__keras_tensor__", "__ellipsis__", "__slice__"})   # plain data in Keras' encoding


def config_problem(config) -> str | None:
    """Why a model config (JSON text) may not be rebuilt, in words for the student; None if it may."""
    if not isinstance(config, str):
        return "the model did not come back as a Keras config"
    if len(config) > MAX_CONFIG_CHARS:
        return "the model's config is too large (%d characters) to be rebuilt" % len(config)
    try:
        tree = json.loads(config)
    except (ValueError, RecursionError):
        return "the model's config is not valid JSON"
    return tree_problem(tree)


def tree_problem(tree) -> str | None:
    """config_problem for a config already parsed from JSON."""
    stack = [(tree, 0, "")]
    while stack:
        node, depth, key = stack.pop()
        if depth > MAX_DEPTH:
            return "the model's config is nested too deeply"
        if isinstance(node, dict):
            problem = _object_problem(node) if "class_name" in node else None
            if problem:
                return problem
            for k, v in node.items():
                if not isinstance(k, str):
                    return "the model's config is not valid"
                if k in SHAPE_KEYS:
                    problem = _shape_problem(v)
                    if problem:
                        return problem
                if k == "activation" and isinstance(v, str) and v not in ACTIVATIONS:
                    return "the activation %r is not one of Keras' built-in activations" % v[:60]
                stack.append((v, depth + 1, k))
        elif isinstance(node, list):
            stack.extend((v, depth + 1, key) for v in node)
    return None


def _object_problem(node: dict) -> str | None:
    name, module = node.get("class_name"), node.get("module")
    if not isinstance(name, str):
        return "the model's config is not valid"
    if name in SAFE_MARKERS:
        return None
    if name == "Lambda":
        return "the model contains a Lambda layer; use Keras' built-in layers only"
    if name in ("function", "__lambda__") or name.startswith("__"):
        what = node.get("config")
        return ("the model's config names a function (%s); only Keras' built-in layers, activations and "
                "initializers by name are accepted" % (what[:60] if isinstance(what, str) else name))
    allowed = ALLOWED.get(module) if isinstance(module, str) else None
    if allowed is None or name not in allowed:
        return ("the model contains %s, which is not one of Keras' built-in layers; use Keras' built-in "
                "layers only (no custom Layer subclasses)" % _describe(module, name))
    registered = node.get("registered_name")
    if registered is not None and registered != name:
        return ("the model contains %s registered as %r, a custom class; use Keras' built-in layers only"
                % (_describe(module, name), str(registered)[:60]))
    return None


def _describe(module, name) -> str:
    return "%s.%s" % (str(module)[:60], name[:60]) if module else name[:60]


def _shape_problem(value) -> str | None:
    dims = value
    if isinstance(value, dict) and value.get("class_name") == "__tuple__":
        dims = (value.get("config") or {}).get("value")
    if dims is None:
        return None
    if not isinstance(dims, list):
        return None if isinstance(dims, (int, str)) else "the model's config declares a shape that is not a list"
    if any(isinstance(d, list) for d in dims):       # several inputs
        for item in dims:
            problem = _shape_problem(item)
            if problem:
                return problem
        return None
    total = 1
    for d in dims:
        if d is None:
            continue
        if isinstance(d, bool) or not isinstance(d, int) or d < 0:
            return "the model's config declares an input size that is not a whole number"
        total *= d
        if total > MAX_ELEMENTS:
            return ("the model declares an input of shape %s, more than the %d numbers per sample the grader "
                    "accepts; declare the input shape the exercise asks for" % (_shape_text(dims), MAX_ELEMENTS))
    return None


def _shape_text(dims) -> str:
    return "(%s)" % ", ".join("None" if d is None else str(d) for d in dims[:8])
