"""The `lambdascope` command line: argument parsing and dispatch to `analyzer.commands`."""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import os
import sys
from collections.abc import Sequence

from analyzer import version

INSTALL_HINT = "pip install 'lambdascope[analyzer]'"
"""The exact command that installs what the CLI needs."""

ANALYZER_MODULES = ("duckdb", "textual", "boto3")
"""Modules of the `analyzer` extra; without them no subcommand can run."""

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2

_EPILOG = """\
examples:
  lambdascope demo                                  dashboard on generated sample logs
  lambdascope analyze logs/                         load CloudWatch exports, open the dashboard
  lambdascope report logs/ --format json            the summary for scripts and CI
  lambdascope query "select count(*) from invocations" logs/
  lambdascope fetch /aws/lambda/orders --since 2h --out logs/
  lambdascope export logs/ --endpoint http://127.0.0.1:4318

Run 'lambdascope COMMAND --help' for a command's options and an example.
"""


def _add_common(p: argparse.ArgumentParser, *, paths: bool = True) -> None:
    """Options shared by every command that reads logs."""
    if paths:
        p.add_argument(
            "paths",
            nargs="*",
            metavar="PATH",
            help="files, directories (recursive), globs or '-' for stdin; .gz is read as is",
        )
    p.add_argument(
        "--db",
        metavar="FILE",
        help="DuckDB file to load into and reuse: a second run loads only new or changed "
        "files (default: in memory for report/query/export; analyze keeps a cache under "
        "$XDG_CACHE_HOME/lambdascope or ~/.cache/lambdascope)",
    )
    p.add_argument(
        "--function",
        metavar="NAME",
        help="function name for files that do not say (no log group in path or content); "
        "also filters the results to this function",
    )
    p.add_argument(
        "--since",
        metavar="WHEN",
        help="only invocations starting at or after WHEN: 2h, 7d, 30m (back from now) or "
        "ISO-8601 such as 2026-11-24T08:00Z",
    )
    p.add_argument(
        "--until",
        metavar="WHEN",
        help="only invocations starting before WHEN: 2h, 7d, 30m (back from now) or ISO-8601",
    )


def _add_aws(p: argparse.ArgumentParser) -> None:
    """Options that choose how boto3 reaches AWS (credentials come from its default chain)."""
    p.add_argument("--region", metavar="REGION", help="AWS region (default: from your AWS config)")
    p.add_argument("--profile", metavar="PROFILE", help="named profile from your AWS config")
    p.add_argument(
        "--endpoint-url",
        metavar="URL",
        help="custom AWS endpoint, e.g. a local emulator at http://127.0.0.1:5000",
    )


class _VersionAction(argparse.Action):
    """`--version`, reading the version only when asked (package metadata is slow to load)."""

    def __init__(self, option_strings: Sequence[str], dest: str, **kwargs: object) -> None:
        help_ = str(kwargs.get("help"))
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, help=help_)

    def __call__(self, parser: argparse.ArgumentParser, *args: object, **kwargs: object) -> None:
        print(f"lambdascope {version()}")
        parser.exit()


def _add_format(p: argparse.ArgumentParser) -> None:
    """The output format of commands that print tables."""
    p.add_argument(
        "--format",
        choices=("table", "json", "csv", "markdown"),
        default="table",
        help="output format (default: table)",
    )


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser, with an example on every command's help."""
    parser = argparse.ArgumentParser(
        prog="lambdascope",
        description="Analyze AWS Lambda logs: errors, timeouts, cold starts, durations, memory.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--version", action=_VersionAction, help="show the program's version number and exit"
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    def add(name: str, help_: str, example: str) -> argparse.ArgumentParser:
        return sub.add_parser(
            name,
            help=help_,
            description=help_,
            epilog=f"example:\n  {example}",
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )

    p = add(
        "analyze",
        "load logs and open the terminal dashboard (prints the report when not on a terminal)",
        "lambdascope analyze exported-logs/ --since 7d",
    )
    _add_common(p)
    p.add_argument(
        "--insights",
        nargs="+",
        metavar="LOG_GROUP",
        help="run the aggregations in CloudWatch Logs Insights for these log groups instead of "
        "reading files (needs AWS credentials; --since/--until choose the range, default the "
        "last hour). Only per-minute..per-day aggregates and failed invocations come back, "
        "whatever the volume: counts exact, percentiles estimated within 4.5%%, no slowest "
        "invocations (queries: dashboards/insights/, see its README)",
    )
    p.add_argument(
        "--per-invocation",
        action="store_true",
        help="with --insights: load one row per invocation instead (every invocation can be "
        "opened, percentiles exact; about one query per 8,000 invocations)",
    )
    _add_aws(p)

    p = add(
        "report",
        "print the summary: per function and in total",
        "lambdascope report logs/ --format json --fail-on 'error_rate>0.01'",
    )
    _add_common(p)
    _add_format(p)
    p.add_argument(
        "--fail-on",
        action="append",
        default=[],
        metavar="EXPR",
        help="exit 1 when a threshold is crossed, e.g. 'error_rate>0.01', 'timeouts>0', "
        "'duration_ms.p99>=3000'; per function: 'functions.orders.error_rate>0.05', "
        "'functions.*.timeouts>0'; operators > >= < <= == !=; repeatable. A value that is "
        "unknown (null) counts as crossed, and a function name not in the data is a usage error, "
        "so a gate never passes by checking nothing",
    )

    p = add(
        "query",
        "run SQL over the loaded tables (invocations, events, environments, init_failures, "
        "files, rejects; aggregates after analyze --insights)",
        'lambdascope query "select function, count(*) from invocations group by 1" logs/',
    )
    p.add_argument(
        "sql",
        metavar="SQL",
        help="the SQL to run; it only reads: SELECT/WITH/DESCRIBE/SHOW/SUMMARIZE, EXPLAIN and "
        "PRAGMA table_info run, anything that writes (INSERT, UPDATE, DELETE, CREATE, DROP, "
        "ALTER, ATTACH, COPY ... TO, EXPORT, SET, setting PRAGMAs, CHECKPOINT) is refused with "
        "exit 1, and no other file is read or written. --db is opened read-only for the SQL "
        "(PATHs given with it are loaded into it first). Save results with --format csv|json "
        "> FILE",
    )
    _add_common(p)
    _add_format(p)

    p = add(
        "demo",
        "generate realistic sample logs (seeded) and open the dashboard on them",
        "lambdascope demo --seed 7",
    )
    p.add_argument("--seed", type=int, default=42, help="random seed (default: 42)")
    p.add_argument(
        "--out",
        metavar="DIR",
        help="keep the generated logs in DIR (default: a temporary folder, removed afterwards)",
    )
    p.add_argument(
        "--invocations",
        type=int,
        default=5000,
        metavar="N",
        help="about how many invocations to generate (default: 5000)",
    )

    p = add(
        "fetch",
        "download Lambda logs from CloudWatch with boto3 into files 'analyze' reads",
        "lambdascope fetch /aws/lambda/orders /aws/lambda/billing --since 2h --out logs/",
    )
    p.add_argument("log_groups", nargs="+", metavar="LOG_GROUP", help="log group names")
    p.add_argument("--since", required=True, metavar="WHEN", help="start: 2h, 7d, 30m or ISO-8601")
    p.add_argument("--until", metavar="WHEN", help="end: 2h, 7d, 30m or ISO-8601 (default: now)")
    p.add_argument("--out", required=True, metavar="DIR", help="folder to write the logs into")
    p.add_argument(
        "--via",
        choices=("filter", "export"),
        default="filter",
        help="FilterLogEvents (default) or CreateExportTask to S3 then download. Re-runs "
        "resume: filter fetches only hourly windows not yet complete; export exports only the "
        "time no earlier complete export covers (an export is trusted up to 12 h before it ran, "
        "as AWS may take that long to make data exportable)",
    )
    p.add_argument("--bucket", metavar="BUCKET", help="S3 bucket for --via export")
    p.add_argument("--prefix", metavar="PREFIX", default="exportedlogs", help="S3 key prefix")
    _add_aws(p)

    p = add(
        "export",
        "send metrics derived from the logs to an OpenTelemetry collector (OTLP/HTTP)",
        "lambdascope export logs/ --endpoint http://127.0.0.1:4318",
    )
    _add_common(p)
    p.add_argument(
        "--endpoint",
        metavar="URL",
        help="collector base URL, '/v1/metrics' is appended "
        "(default: $OTEL_EXPORTER_OTLP_ENDPOINT)",
    )
    p.add_argument(
        "--bucket-size",
        default="1m",
        metavar="SIZE",
        help="time bucket of the exported series, e.g. 1m, 5m, 1h (default: 1m)",
    )
    return parser


def missing_analyzer_modules() -> list[str]:
    """Names of the analyzer extra's modules that cannot be imported here."""
    return [m for m in ANALYZER_MODULES if importlib.util.find_spec(m) is None]


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `lambdascope` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return EXIT_USAGE
    missing = missing_analyzer_modules()
    if missing:
        print(
            f"lambdascope {args.command} needs the analyzer extra "
            f"(missing: {', '.join(missing)}). Install it with:\n  {INSTALL_HINT}",
            file=sys.stderr,
        )
        return EXIT_USAGE
    module = importlib.import_module(f"analyzer.commands.{args.command}")
    try:
        rc: int = module.run(args)
    except KeyboardInterrupt:
        print("lambdascope: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader of our output went away (e.g. `| head`): not an error of ours.
        sys.stderr.close()
        return EXIT_OK
    except Exception as exc:
        # Commands turn every expected failure into a message; anything else is our bug.
        # Say so in one line instead of a traceback, unless the user asks for the traceback.
        if os.environ.get("LAMBDASCOPE_DEBUG"):
            raise
        print(
            f"lambdascope {args.command}: internal error: {type(exc).__name__}: {exc}\n"
            "Nothing was changed by this failure. Set LAMBDASCOPE_DEBUG=1 to see the "
            "traceback, and please report it with the command you ran.",
            file=sys.stderr,
        )
        return EXIT_FAILURE
    return rc


if __name__ == "__main__":
    sys.exit(main())
