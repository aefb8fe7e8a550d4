"""The sweep: CLI, search space and Ray Tune wiring around :mod:`trainables`."""
