"""When a trial has diverged and should stop early, as a rule on its last few epochs.

- **non-finite**: a NaN or infinite loss (or D output) in the last epoch.
- **discriminator collapse**: D loss below ``COLLAPSE_D_LOSS`` with D accuracy 1.0 for
  ``patience`` epochs in a row: D separates perfectly, so G's gradient vanishes.
- **discriminator saturation**: D(x) and D(G(z)) both above ``1 - SATURATION`` (or both below
  ``SATURATION``) for ``patience`` epochs in a row: D's sigmoid is pinned and says the same for
  real and fake, and nothing is learned.
"""

from __future__ import annotations

import math
from typing import Sequence

from trainables.metric_keys import EpochMetrics

COLLAPSE_D_LOSS = 0.01
SATURATION = 0.01


def divergence_reason(recent: Sequence[EpochMetrics], patience: int) -> str | None:
    """Why the run has diverged, judged on its most recent epochs (last one last), or None."""
    if not recent:
        return None
    last = recent[-1]
    for name in ("d_loss", "g_loss", "d_real", "d_fake"):
        if not math.isfinite(getattr(last, name)):
            return f"non-finite {name} ({getattr(last, name)}) at epoch {last.epoch}"
    if patience == 0 or len(recent) < patience:
        return None
    window = recent[-patience:]
    if all(m.d_loss < COLLAPSE_D_LOSS and m.d_acc == 1.0 for m in window):
        return (
            f"discriminator collapse: d_loss < {COLLAPSE_D_LOSS} with D accuracy 1.0 "
            f"for {patience} epochs (to epoch {last.epoch})"
        )
    pinned_high = all(min(m.d_real, m.d_fake) > 1 - SATURATION for m in window)
    pinned_low = all(max(m.d_real, m.d_fake) < SATURATION for m in window)
    if pinned_high or pinned_low:
        side = f"> {1 - SATURATION:g}" if pinned_high else f"< {SATURATION:g}"
        return (
            f"discriminator saturated: D(x) and D(G(z)) both {side} "
            f"for {patience} epochs (to epoch {last.epoch}), d_loss {last.d_loss:.3g}"
        )
    return None
