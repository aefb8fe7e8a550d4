"""Pieces shared by the command lines (tune_gan/sweep.py, python -m trainables.evaluate, analysis/report.py):
argparse types and one-line errors."""

from __future__ import annotations

import argparse


class OneLineErrorParser(argparse.ArgumentParser):
    """Bad arguments end with one line (no usage block) and exit code 2."""

    def error(self, message: str) -> None:
        self.exit(2, f"{self.prog}: error: {message}\n")


def int_at_least(minimum: int):
    """An argparse ``type`` accepting integers >= ``minimum``, naming the value and the bound otherwise."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = None
        if value is None or value < minimum:
            raise argparse.ArgumentTypeError(f"{text!r} is not an integer >= {minimum}")
        return value

    return parse


def one_line(error: Exception) -> str:
    """An error's message on one line, for a one-line user error (library messages may span several)."""
    return " ".join(str(error).split())
