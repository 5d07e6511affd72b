# expect: freeze_all_but_last=zero compile_for_fine_tuning=zero message=Lambda layer
# Reports a base config holding a Lambda layer (refused: never rebuilt in the grader), and
# ends the process while compiling.
import json
import os


def freeze_all_but_last(conv_base, n=4):
    conv_base.trainable = True
    for i, layer in enumerate(conv_base.layers):
        layer.trainable = i >= len(conv_base.layers) - n
    config = json.loads(conv_base.to_json())
    config["config"]["layers"].append({"module": "keras.layers", "class_name": "Lambda",
                                       "config": {"name": "smuggled", "function": {"class_name": "__lambda__",
                                                  "config": {"code": "print('pwned')"}}}})
    conv_base.to_json = lambda **kwargs: json.dumps(config)
    return conv_base


def compile_for_fine_tuning(model, learning_rate=1e-5):
    os._exit(0)
