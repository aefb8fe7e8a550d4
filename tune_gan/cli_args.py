"""Pieces shared by the command lines (tune_gan/sweep.py, tune_gan/evaluate.py, analysis/report.py): argparse
types, a parser whose errors are one line, and the flags of a config dataclass."""

from __future__ import annotations

import argparse
import dataclasses
from typing import Any, Callable

from trainables.config import ConfigError, type_name


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


def value_parser(field: dataclasses.Field) -> Callable[[str], Any]:
    """Text to a value of a config field (see trainables.config.setting), naming the text and what is allowed
    otherwise: an integer at least its lowest value, a number, one of its choices, or true/false."""
    choices, at_least, kind = field.metadata.get("choices"), field.metadata.get("at_least"), type_name(field)
    if field.metadata.get("parse"):
        return one_line_parse(field.metadata["parse"])
    if choices:
        return one_of(choices)
    if kind == "int" and at_least is not None:
        return int_at_least(at_least)
    if kind == "float":
        return parse_number
    if kind == "bool":
        return parse_boolean
    raise TypeError(f"{field.name}: no command-line parser for type {kind} (an int needs at_least)")


def add_setting_flags(group, config_class: type, exclude: tuple[str, ...] = ()) -> None:
    """One flag per field of a config dataclass (``--latent-dim`` for ``latent_dim``), with its type, choices and
    default from the dataclass; the parsed value is None where the flag is not given, so a preset can fill it."""
    for field in dataclasses.fields(config_class):
        if field.name in exclude:
            continue
        flag = "--" + field.name.replace("_", "-")
        default = "auto" if field.default is None else field.default
        text = f"{field.metadata['help']} (default {default})"
        if type_name(field) == "bool":
            group.add_argument(flag, action=argparse.BooleanOptionalAction, help=text)
        else:
            choices = field.metadata.get("choices")
            metavar = "{" + ",".join(choices) + "}" if choices else None
            group.add_argument(flag, type=value_parser(field), metavar=metavar, help=text)


def one_line_parse(parse: Callable[[str], Any]) -> Callable[[str], Any]:
    """A setting's own parser as an argparse ``type``: its ConfigError's one line becomes argparse's error."""

    def parsed(text: str) -> Any:
        try:
            return parse(text)
        except ConfigError as error:
            raise argparse.ArgumentTypeError(str(error)) from None

    return parsed


def one_of(choices: tuple[str, ...]) -> Callable[[str], str]:
    def parse(text: str) -> str:
        if text not in choices:
            raise argparse.ArgumentTypeError(f"{text!r} is not one of {', '.join(choices)}")
        return text

    return parse


def parse_number(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None


def parse_boolean(text: str) -> bool:
    words = {"true": True, "false": False}
    if text.lower() not in words:
        raise argparse.ArgumentTypeError(f"{text!r} is not true or false")
    return words[text.lower()]
