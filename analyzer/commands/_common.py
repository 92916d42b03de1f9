"""What the commands that read logs share: messages, inputs, filters, loading, hints.

`loaded(args, command)` is the one ladder `report`, `query` and `export` climb: read the
filters (exit 2 if bad), open `--db` or memory, load the inputs, print the loader's warnings,
then say when `--function` names a function the data does not hold. It returns the open
connection with the filters, or the exit code to return after the message was printed.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass

import duckdb

from analyzer._timeparse import TimeArgError
from analyzer.cli import EXIT_FAILURE, EXIT_USAGE
from analyzer.filters import Filters


def say(command: str, message: str) -> None:
    """One message for the user on stderr, prefixed with the command."""
    print(f"lambdascope {command}: {message}", file=sys.stderr)


def write_out(text: str) -> None:
    """Print `text` and flush now, so a closed pipe surfaces here as BrokenPipeError."""
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def input_paths(args: argparse.Namespace) -> list[str] | None:
    """The paths to load: PATHs, else stdin if piped, else [] with --db; None if no input."""
    paths: list[str] = list(getattr(args, "paths", None) or [])
    if paths:
        return paths
    if getattr(args, "db", None):
        return []
    if not sys.stdin.isatty():
        return ["-"]
    return None


def filters_from(args: argparse.Namespace, command: str) -> Filters | int:
    """The CLI filters, or the usage exit code after saying what is wrong."""
    try:
        return Filters.from_args(args)
    except (TimeArgError, ValueError) as exc:
        say(command, str(exc))
        return EXIT_USAGE


def open_and_load(args: argparse.Namespace, command: str) -> duckdb.DuckDBPyConnection | int:
    """Open `--db` (or memory), load the inputs and print their warnings; an exit code if not."""
    paths = input_paths(args)
    if paths is None:
        say(
            command,
            "no input: give log files, folders or globs, pipe logs on stdin, "
            "or name a database with --db",
        )
        return EXIT_USAGE
    from analyzer.store import open_db

    try:
        con = open_db(getattr(args, "db", None))
    except (duckdb.Error, OSError) as exc:
        say(command, f"cannot open database {args.db!r}: {exc}")
        return EXIT_FAILURE
    if not paths:
        return con
    from analyzer.load import LoadError, load_paths

    try:
        result = load_paths(con, paths, function=getattr(args, "function", None))
    except LoadError as exc:
        say(command, str(exc))
        con.close()
        return EXIT_FAILURE
    for warning in result.warnings:
        say(command, f"warning: {warning}")
    return con


def hint_unknown_function(
    con: duckdb.DuckDBPyConnection, function: str | None, command: str
) -> bool:
    """Say so, and True, when `--function` names no function of data that is not empty."""
    if function is None:
        return False
    from analyzer.queries import function_names
    from analyzer.report import name_list

    names = function_names(con)
    if function in names:
        return False
    if not names:  # only unnamed invocations, or none at all
        row = con.execute("SELECT count(*) FROM invocations").fetchone()
        if not (row and row[0]):
            return False
    say(
        command,
        f"no invocations for function {function!r}; functions in the data: {name_list(names)}",
    )
    return True


@dataclass(frozen=True)
class Loaded:
    """An open connection with the inputs loaded, and the filters the command applies."""

    con: duckdb.DuckDBPyConnection
    filters: Filters
    unknown_function: bool = False
    """`--function` names no function of the (non-empty) data; the hint was printed."""


def loaded(args: argparse.Namespace, command: str) -> Loaded | int:
    """Filters, then open and load, then the `--function` hint; an exit code if it failed."""
    filters = filters_from(args, command)
    if isinstance(filters, int):
        return filters
    con = open_and_load(args, command)
    if isinstance(con, int):
        return con
    try:
        unknown = hint_unknown_function(con, filters.function, command)
    except BaseException:
        con.close()
        raise
    return Loaded(con, filters, unknown)
