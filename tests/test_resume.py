"""The result files a resume trims back to each trial's recorded checkpoint, on hand-made files."""

from __future__ import annotations

import json
from types import SimpleNamespace

from tune_gan.resume import ResultsBackToCheckpoint, csv_rows_up_to, json_lines_up_to


def test_json_lines_past_the_epoch_are_removed_in_order():
    rows = [{"epoch": 1, "d_loss": 1.0}, {"epoch": 2, "d_loss": 2.0}, {"epoch": 3, "d_loss": 3.0}]
    text = "".join(json.dumps(row) + "\n" for row in rows)
    assert json_lines_up_to(text, 2) == json.dumps(rows[0]) + "\n" + json.dumps(rows[1]) + "\n"
    assert json_lines_up_to(text, 3) == text
    assert json_lines_up_to(text, 0) == ""


def test_csv_rows_past_the_epoch_are_removed_and_the_header_kept():
    text = 'd_loss,epoch,trial_id\n1.5,1,a\n"2,5",2,a\n3.5,3,a\n'
    assert csv_rows_up_to(text, 2) == 'd_loss,epoch,trial_id\n1.5,1,a\n"2,5",2,a\n'
    assert csv_rows_up_to(text, 0) == "d_loss,epoch,trial_id\n"
    assert csv_rows_up_to("", 2) == ""


def test_a_restarted_trials_rows_past_its_checkpoint_are_cut_in_the_file_tune_appends_to(tmp_path):
    """As a worker killed between Tune's result and its checkpoint leaves it: rows 1-3, checkpoint at epoch 2."""
    results = tmp_path / "result.json"
    results.write_text("".join(json.dumps({"epoch": epoch}) + "\n" for epoch in (1, 2, 3)))
    with results.open("a") as logger:  # Tune's JSON logger keeps the file open for appending, as here
        trial = SimpleNamespace(
            local_path=str(tmp_path), latest_checkpoint_result=SimpleNamespace(metrics={"epoch": 2})
        )
        ResultsBackToCheckpoint().on_trial_recover(iteration=7, trials=[trial], trial=trial)
        logger.write(json.dumps({"epoch": 3, "again": True}) + "\n")  # the restarted trial's epoch 3
        logger.flush()
    assert [json.loads(line) for line in results.read_text().splitlines()] == [
        {"epoch": 1},
        {"epoch": 2},
        {"epoch": 3, "again": True},
    ]
    no_checkpoint = SimpleNamespace(local_path=str(tmp_path), latest_checkpoint_result=None)
    ResultsBackToCheckpoint().on_trial_recover(iteration=8, trials=[no_checkpoint], trial=no_checkpoint)
    assert results.read_text() == ""  # restarted from scratch: no row stands
