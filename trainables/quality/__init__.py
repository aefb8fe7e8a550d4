"""The evaluator: how good a generator's samples are, by the dataset's shipped classifier.

``classifier`` (the network and its checked weights, ``classifier_weights/``), ``train_classifier`` (retrains
them), ``metrics`` (the metrics' math on classifier outputs), ``scorers`` (each quality metric of the registry,
``trainables.metric_keys``, computed from one evaluation's samples) and ``evaluator`` (the real reference and
when a trial is scored). It imports only the trial's settings and data (``trainables.config``,
``trainables.data``, ``trainables.metric_keys``), never the training loop: the trial imports it.
"""
