"""Before a sweep resumes: each trial's recorded checkpoint must load, and its results must end at that checkpoint.

Tune writes the experiment state (which checkpoint each trial is at) and then uploads the trials'
result files from its staging directory in a background sync; a result that arrives in between,
or just before a Ctrl-C or a kill, reaches ``result.json`` while the state still points to the
checkpoint before it. Resumed from that checkpoint, the trial trains the epoch again and reports it
again, and the file would hold it twice. So the rows past each trial's recorded checkpoint are
removed here, before Tune reads the files back, and every epoch is recorded once.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pyarrow.fs
from ray import tune
from ray.air.constants import EXPR_PROGRESS_FILE, EXPR_RESULT_FILE

from trainables.checkpoint import CheckpointError, read_resumable_state


def json_lines_up_to(text: str, epoch: int) -> str:
    """Tune's result.json (one JSON object per line) without the rows of epochs after ``epoch``."""
    lines = [line for line in text.splitlines() if line.strip()]
    return "".join(f"{line}\n" for line in lines if json.loads(line)["epoch"] <= epoch)


def csv_rows_up_to(text: str, epoch: int) -> str:
    """Tune's progress.csv (a header, then a row per result) without the rows of epochs after ``epoch``."""
    rows = list(csv.reader(io.StringIO(text)))
    if not rows:
        return text
    column = rows[0].index("epoch")
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows([rows[0], *(row for row in rows[1:] if int(row[column]) <= epoch)])
    return out.getvalue()


_TRIMMERS = {EXPR_RESULT_FILE: json_lines_up_to, EXPR_PROGRESS_FILE: csv_rows_up_to}


def _trim(filesystem: pyarrow.fs.FileSystem, path: str, epoch: int) -> int:
    """Rewrite one result file without the rows after ``epoch`` (write, then rename over); the rows removed."""
    if filesystem.get_file_info(path).type != pyarrow.fs.FileType.File:
        return 0
    with filesystem.open_input_stream(path) as stream:
        text = stream.read().decode()
    kept = _TRIMMERS[Path(path).name](text, epoch)
    if kept == text:
        return 0
    with filesystem.open_output_stream(f"{path}.trimmed") as stream:
        stream.write(kept.encode())
    filesystem.move(f"{path}.trimmed", path)
    return text.count("\n") - kept.count("\n")


def prepare_resume(experiment_uri: str) -> int:
    """Check every trial's latest recorded checkpoint and cut its result files back to that checkpoint's epoch
    (a trial without one back to none); the number of rows removed. Raises :class:`CheckpointError` naming a
    checkpoint that cannot be resumed."""
    analysis = tune.ExperimentAnalysis(experiment_uri)
    removed = 0
    for trial in analysis.trials:
        checkpoint = analysis.get_last_checkpoint(trial)
        epoch = 0
        if checkpoint is not None:
            try:
                with checkpoint.as_directory() as directory:  # a download first, when in an object store
                    epoch = read_resumable_state(Path(directory))["epoch"]
            except CheckpointError as error:
                raise CheckpointError(f"checkpoint {checkpoint.path} cannot be resumed ({error})") from None
        for name in _TRIMMERS:
            removed += _trim(trial.storage.storage_filesystem, f"{trial.storage.trial_fs_path}/{name}", epoch)
    return removed
