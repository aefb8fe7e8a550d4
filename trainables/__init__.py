"""One GAN trial: its settings and data, the metric registry, the evaluator (``trainables.quality``), models,
schedules, the training loop, and the Ray Tune adapter; DEVELOPERS.md shows which imports which."""
