"""A trial's result files end at the checkpoint it continues from, so every epoch is recorded once.

Two places where Tune can record a result whose checkpoint it never registers:

- Tune writes the experiment state (which checkpoint each trial is at) and then uploads the trials'
  result files from its staging directory in a background sync; a result that arrives in between,
  or just before a Ctrl-C or a kill of the driver, reaches ``result.json`` while the state still
  points to the checkpoint before it. :func:`prepare_resume` cuts the files in the storage path
  back before ``--resume`` lets Tune read them.
- Tune logs a result, then registers its checkpoint in a second task on the trial's actor (``save``);
  a worker that dies in between leaves the row without its checkpoint, and the restarted trial trains
  and reports that epoch again. :class:`ResultsBackToCheckpoint` cuts the trial's staging files back
  when Tune restarts it.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pyarrow.fs
from ray import tune

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


# The per-trial result files Tune writes: one JSON object per line, and the same rows as CSV.
RESULT_FILE, PROGRESS_FILE = "result.json", "progress.csv"
_TRIMMERS = {RESULT_FILE: json_lines_up_to, PROGRESS_FILE: csv_rows_up_to}


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


def trim_in_place(path: Path, epoch: int) -> None:
    """Rewrite a local result file without the rows after ``epoch``, keeping the file itself: Tune's loggers hold
    it open for appending, and their next rows must land after the kept ones."""
    if not path.is_file():
        return
    with path.open("r+") as file:
        text = file.read()
        kept = _TRIMMERS[path.name](text, epoch)
        if kept != text:
            file.seek(0)
            file.write(kept)
            file.truncate()


class ResultsBackToCheckpoint(tune.Callback):
    """When Tune restarts a failed trial, cut its staging result files back to the checkpoint it restarts from."""

    def on_trial_recover(self, iteration, trials, trial, **info) -> None:
        latest = trial.latest_checkpoint_result
        epoch = latest.metrics["epoch"] if latest else 0
        for name in _TRIMMERS:
            trim_in_place(Path(trial.local_path, name), epoch)


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
