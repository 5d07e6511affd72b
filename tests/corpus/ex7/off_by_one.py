# expect: freeze_all_but_last=fail:off-by-one compile_for_fine_tuning=missing
# Leaves n + 1 layers trainable.
def freeze_all_but_last(conv_base, n=4):
    if n < 0:
        raise ValueError("n must be >= 0")
    conv_base.trainable = True
    for i, layer in enumerate(conv_base.layers):
        layer.trainable = i >= len(conv_base.layers) - n - 1
    return conv_base
