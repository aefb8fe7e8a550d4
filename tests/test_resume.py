"""The result files a resume trims back to each trial's recorded checkpoint, on hand-made files."""

from __future__ import annotations

import json

from tune_gan.resume import csv_rows_up_to, json_lines_up_to


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
