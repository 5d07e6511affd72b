"""Judging student Keras models without trusting them: an allowlist for configs, and the cage.

- ``allow``: pure-Python checks of a model's JSON config (no Keras import):
  only Keras' own built-in classes by registered name, no ``Lambda`` and no
  function reference, declared input sizes capped. Run before any model is
  rebuilt, in the parent and again in the cage.
- ``cage``: the parent's side of the judge server, a process with Keras
  pre-imported that forks a fresh, rlimited process for each judgement.
- ``server``: the judge server and the code its forks run.
"""
