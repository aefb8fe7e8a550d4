"""What known image sets score against the real reference, in its extractor's features: the anchors that the
label-free outcome rules (analysis.outcomes) set their lines by.

The lines "drew the data" and "one image for every z" were measured in the MNIST classifier's features. In another
network's features (Inception-v3 on a user's folder) the same numbers mean other things, and Inception's weights
cannot be had on every machine to measure them. So each reference is scored, once and cached with it, against three
sets made from the dataset itself: a seeded sample of real training images (what a generator that draws the data
scores at this sample count), one real image repeated (a generator with one output for every z), and uniform noise
(one that draws nothing). Each trial reports them beside its own scores (trainables.metric_keys.ANCHOR_KEYS), so
the analysis judges every trial by the anchors of the data and network it was scored in.
"""

from __future__ import annotations

import torch

from trainables.metric_keys import ANCHOR_METRICS, ANCHORS, anchor_key
from trainables.quality.extractors import Features
from trainables.quality.scorers import Evaluation, RealReference, score

ANCHOR_SAMPLES = 500  # images in the real sample and the noise: 2 x 500 through Inception is ~100 s on 2 CPU cores
NOISE_SEED = 1


def score_anchors(features: Features, reference: RealReference, real_images: torch.Tensor) -> dict[str, float]:
    """The anchor keys (trainables.metric_keys.ANCHOR_KEYS) of ``reference``: ``real_images`` (uint8 (N, C, H, W),
    trainables.data.load_real_sample), their first image repeated N times, and N images of uniform noise, each scored
    as a generator's samples are."""
    count = len(real_images)
    seeded = torch.Generator().manual_seed(NOISE_SEED)
    noise = torch.randint(0, 256, real_images.shape, dtype=torch.uint8, generator=seeded)
    one_features, one_logits = features(real_images[:1])  # N copies of one image: its features N times
    scored = {
        "real": score(Evaluation(*features(real_images), reference)),
        "one_image": score(Evaluation(one_features.expand(count, -1), one_logits.expand(count, -1), reference)),
        "noise": score(Evaluation(*features(noise), reference)),
    }
    return {anchor_key(anchor, metric): scored[anchor][metric] for anchor in ANCHORS for metric in ANCHOR_METRICS}
