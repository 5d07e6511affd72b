# expect: freeze_all_but_last=fail:forgot-base-trainable compile_for_fine_tuning=missing
# Never sets conv_base.trainable = True: a base that arrives frozen stays frozen.
def freeze_all_but_last(conv_base, n=4):
    if n < 0:
        raise ValueError("n must be >= 0")
    for layer in conv_base.layers[:len(conv_base.layers) - n]:
        layer.trainable = False
    return conv_base
