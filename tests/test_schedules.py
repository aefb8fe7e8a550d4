import pytest

from tests.helpers import lrs_per_epoch
from trainables.config import TrialConfig

BASE_LR = 2e-4


def test_constant():
    assert lrs_per_epoch(TrialConfig(schedule="constant", epochs=30)) == [BASE_LR] * 30


def test_step_decays_tenfold_every_20_epochs():
    lrs = lrs_per_epoch(TrialConfig(schedule="step", epochs=45))
    assert lrs[0] == lrs[19] == BASE_LR
    assert lrs[20] == pytest.approx(BASE_LR * 0.1, rel=1e-12)
    assert lrs[39] == pytest.approx(BASE_LR * 0.1, rel=1e-12)
    assert lrs[40] == pytest.approx(BASE_LR * 0.01, rel=1e-12)


def test_step_every_and_gamma_are_configurable():
    lrs = lrs_per_epoch(TrialConfig(schedule="step", epochs=10, step_every=3, step_gamma=0.5))
    assert lrs[2] == BASE_LR and lrs[3] == pytest.approx(BASE_LR / 2) and lrs[9] == pytest.approx(BASE_LR / 8)


def test_warmup_cosine_rises_linearly_then_anneals_to_the_floor():
    config = TrialConfig(schedule="warmup_cosine", epochs=30, warmup_epochs=5, lr_floor=0.01)
    lrs = lrs_per_epoch(config)
    floor = BASE_LR * 0.01
    warmup = [floor + (BASE_LR - floor) * epoch / 5 for epoch in range(6)]
    assert lrs[:6] == pytest.approx(warmup, rel=1e-9)
    assert max(lrs) == pytest.approx(BASE_LR) and lrs.index(max(lrs)) == 5
    assert all(later <= earlier for earlier, later in zip(lrs[5:], lrs[6:]))
    midpoint = 5 + (29 - 5) // 2  # half-way through the cosine: half-way between peak and floor
    assert lrs[midpoint] == pytest.approx((BASE_LR + floor) / 2, rel=1e-6)
    assert lrs[-1] == pytest.approx(floor, rel=1e-6)


def test_warmup_cosine_without_warmup_starts_at_the_peak():
    lrs = lrs_per_epoch(TrialConfig(schedule="warmup_cosine", epochs=2, warmup_epochs=0))
    assert lrs == pytest.approx([BASE_LR, BASE_LR * 0.01])
