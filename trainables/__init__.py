"""One GAN trial: data, models, schedules, the training loop, and the Ray Tune adapter."""
