"""The adversarial suite: every attack in tests/attacks/ is blocked, with the sandbox on."""
import pytest

from autograder.sandbox import bwrap_path
from tests.attacks.harness import ATTACKS, run_attack


def test_sandbox_is_installed():
    assert bwrap_path(), "bubblewrap is required for the adversarial suite (apt-get install bubblewrap)"


@pytest.mark.parametrize("path", ATTACKS, ids=lambda p: p.stem)
def test_attack_is_blocked(path):
    result = run_attack(path, isolate=True)
    assert result.blocked, "%s: %s" % (result.description, result.how)


from tests.attacks.keras.harness import KERAS_ATTACKS, run_keras_attack  # noqa: E402


@pytest.mark.parametrize("path", KERAS_ATTACKS, ids=lambda p: p.stem)
def test_keras_attack_is_blocked(path):
    """Keras attacks (tests/attacks/keras/): the verdict a correct grader gives, and the next student unharmed."""
    result = run_keras_attack(path)
    assert result.blocked, "%s: %s" % (result.description, result.how)


def test_keras_attacks_in_one_batch():
    """All Keras attacks and correct ex4-ex7 submissions in one batch: attacks held, correct samples full marks."""
    from tests.attacks.keras.harness import run_keras_attacks_in_one_batch
    problems = run_keras_attacks_in_one_batch()
    assert not problems, "\n".join(problems)
