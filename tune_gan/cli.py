"""``tune-gan COMMAND [ARGS]``: the project's commands, once it is installed (``pip install -e .``).

Each command is the same program as its script, with the same flags: ``tune-gan sweep`` is
``python tune_gan/sweep.py``, ``tune-gan report`` is ``python analysis/report.py``, ``tune-gan evaluate`` is
``python -m tune_gan.evaluate`` and ``tune-gan benchmark`` is ``python benchmarks/throughput.py``.
"""

from __future__ import annotations

import importlib
import sys

from tune_gan import environment

COMMANDS = {
    "sweep": ("tune_gan.sweep", "run a grid of GAN trials with Ray Tune"),
    "report": ("analysis.report", "write an experiment's tables, plots and report"),
    "evaluate": ("tune_gan.evaluate", "score a checkpoint, the real data, or a shipped classifier"),
    "benchmark": ("benchmarks.throughput", "measure training throughput and Tune's overhead"),
}


def usage() -> str:
    lines = ["usage: tune-gan COMMAND [ARGS]  (tune-gan COMMAND --help for its flags)", "", "commands:"]
    return "\n".join([*lines, *(f"  {name:<10} {text}" for name, (_, text) in COMMANDS.items())])


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] in (["-h"], ["--help"]):
        print(usage())
        return 0
    if not argv or argv[0] not in COMMANDS:
        given = repr(argv[0]) if argv else "no command"
        print(f"tune-gan: error: {given}: choose one of {', '.join(COMMANDS)}", file=sys.stderr)
        return 2
    environment.configure()  # before any command imports Ray
    module = importlib.import_module(COMMANDS[argv[0]][0])
    return module.main(argv[1:], prog=f"tune-gan {argv[0]}")  # its usage and errors name this command


if __name__ == "__main__":
    sys.exit(main())
