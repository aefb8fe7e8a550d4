"""The installed ``tune-gan`` command runs the same programs as the scripts, with no import-path patching."""

from __future__ import annotations

import importlib
import json
import os
import sys
from pathlib import Path

import pytest

from tests.helpers import REPO, run_script
from tune_gan import cli
from tune_gan.cli import COMMANDS

TUNE_GAN = Path(sys.executable).parent / "tune-gan"
SCRIPTS = {  # each command's script, as `python ...` runs it
    "sweep": ["tune_gan/sweep.py"],
    "report": ["analysis/report.py"],
    "evaluate": ["-m", "tune_gan.evaluate"],
    "benchmark": ["benchmarks/throughput.py"],
}
SCRIPT_PROGS = {  # how each script names itself in its usage and errors
    "sweep": "sweep.py",
    "report": "report.py",
    "evaluate": "python -m tune_gan.evaluate",
    "benchmark": "throughput.py",
}
BAD_FLAG = "--no-such-flag"


def words(text: str) -> list[str]:
    return text.split()


def test_every_command_is_documented_here():
    assert set(SCRIPTS) == set(COMMANDS)


def run_in_process(command: str, argv: list[str], installed: bool, capsys, monkeypatch) -> tuple[int, str, str]:
    """(exit code, stdout, stderr) of ``tune-gan COMMAND ARGV`` (``installed``) or of the command's script, run in
    this process: argparse's output does not need a fresh torch and Ray each."""
    monkeypatch.setattr(os, "environ", dict(os.environ))  # the Ray settings tune-gan sets stay out of this process
    main = cli.main if installed else importlib.import_module(COMMANDS[command][0]).main
    try:
        code = main([command, *argv] if installed else argv)
    except SystemExit as exited:  # argparse's --help and its errors
        code = exited.code
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_a_command_and_its_script_have_the_same_flags(command, capsys, monkeypatch):
    """Same help but for the program's name (the command names itself as typed, `tune-gan sweep`) and so where
    argparse wraps the usage lines."""
    installed, script = (run_in_process(command, ["--help"], each, capsys, monkeypatch) for each in (True, False))
    assert installed[0] == script[0] == 0
    assert installed[1].startswith(f"usage: tune-gan {command} [-h]")
    assert words(installed[1]) == words(
        script[1].replace(f"usage: {SCRIPT_PROGS[command]}", f"usage: tune-gan {command}")
    )
    assert "--help" in installed[1]


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_a_command_names_itself_in_its_errors(command, capsys, monkeypatch):
    installed, script = (run_in_process(command, [BAD_FLAG], each, capsys, monkeypatch) for each in (True, False))
    assert installed[0] == script[0] == 2
    error = installed[2].splitlines()[-1]
    assert error == script[2].splitlines()[-1].replace(SCRIPT_PROGS[command], f"tune-gan {command}")
    assert error.startswith(f"tune-gan {command}: error: ")


@pytest.mark.slow
def test_a_command_gives_the_scripts_result():
    """`tune-gan evaluate accuracy` scores the shipped classifier exactly as `python -m tune_gan.evaluate` does."""
    argv = ("accuracy", "--dataset", "mnist", "--json")
    installed = run_script("evaluate", *argv, program=TUNE_GAN, timeout=300)
    script = run_script(*SCRIPTS["evaluate"], *argv, timeout=300)
    assert installed.returncode == script.returncode == 0, installed.stderr + script.stderr
    accuracy = json.loads(installed.stdout)["accuracy"]
    assert accuracy == json.loads(script.stdout)["accuracy"] and accuracy >= 0.99


@pytest.mark.parametrize("argv", [[], ["train"]], ids=["none", "unknown"])
def test_no_or_an_unknown_command_is_one_line_and_exit_2(argv):
    finished = run_script(*argv, program=TUNE_GAN, timeout=300)
    assert finished.returncode == 2
    assert finished.stderr.strip().splitlines() == [
        f"tune-gan: error: {repr(argv[0]) if argv else 'no command'}: choose one of sweep, report, evaluate, benchmark"
    ]


def test_no_entry_point_patches_the_import_path():
    patched = [
        path.relative_to(REPO)
        for folder in ("tune_gan", "trainables", "analysis", "benchmarks")
        for path in (REPO / folder).glob("*.py")
        if "sys.path[0] =" in path.read_text() or "sys.path.insert" in path.read_text()
    ]
    assert patched == []
