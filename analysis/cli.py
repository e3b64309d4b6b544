"""The `papertrends` command line: a thin face on the analysis package.

Each command group lives in a small module under ``analysis/commands/`` that exposes
``register(subparsers)``. Those modules import nothing heavy at top level, so ``--help`` and the
light commands start fast; torch/umap/bertopic load only inside the commands that need them.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from analysis.schema import InputError

COMMAND_MODULES = (
    "analysis.commands.data",  # ingest, info, papers
    "analysis.commands.topics",  # fit, assign, topics
    "analysis.commands.trends",  # trend, topic-trend, upvotes, emerging, rising
    "analysis.commands.export",  # export, report
    "analysis.commands.fetch",  # fetch
    "analysis.commands.upkeep",  # check, rebuild
    "analysis.commands.serve",  # serve
)


def build_parser() -> argparse.ArgumentParser:
    """The `papertrends` argument parser with every command module's subcommands registered."""
    parser = argparse.ArgumentParser(
        prog="papertrends",
        description="Trend analytics for research papers (Hugging Face Daily Papers and more).",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one `papertrends` command and return its exit status.

    Args:
        argv: the arguments after the program name; ``None`` reads ``sys.argv``.

    Returns:
        The command's exit status: 2 for bad input or no command (help is printed then), 130
        when interrupted, 0 when the reader of stdout went away.
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except InputError as err:
        print(f"papertrends {args.command}: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"papertrends {args.command}: interrupted; nothing was half-written",
              file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
