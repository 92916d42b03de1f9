"""Every dashboard, collector config and query parses and names only what lambdascope emits."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from analyzer import otlp_export
from analyzer.aws.insights import normalize_query
from lambdascope import _names

DASHBOARDS = Path(__file__).resolve().parents[2] / "dashboards"
AWS_LAMBDA_METRICS = {
    "Invocations", "Errors", "Throttles", "Duration", "ConcurrentExecutions",
    "DeadLetterErrors", "IteratorAge", "UnreservedConcurrentExecutions",
}  # fmt: skip
"""Metrics AWS Lambda publishes itself in the AWS/Lambda namespace."""

COLLECTORS = ["otel-collector/lambda-extension.yaml", "otel-collector/central.yaml"]
_UNIT_SUFFIX = {"s": "_seconds", "By": "_bytes"}


def prometheus_names() -> set[str]:
    """Names the collector's prometheus exporter gives the metrics `export` sends.

    A model of the exporter's naming rules (dots to '_', unit suffix, '_total' on counters;
    dashboards/README.md §2), not names read from a running collector.
    """
    names: set[str] = set()
    for name, (kind, unit) in otlp_export.EXPORTED.items():
        base = name.replace(".", "_") + _UNIT_SUFFIX.get(unit, "")
        if kind == "counter":
            names.add(base + "_total")
        else:
            names.update(base + s for s in ("_bucket", "_sum", "_count"))
    return names


def _json(rel: str) -> Any:
    return json.loads((DASHBOARDS / rel).read_text(encoding="utf-8"))


def _yaml(rel: str) -> Any:
    return yaml.safe_load((DASHBOARDS / rel).read_text(encoding="utf-8"))


def _queries() -> dict[str, str]:
    return {
        p.stem: normalize_query(p.read_text()) for p in (DASHBOARDS / "insights").glob("*.query")
    }


@pytest.mark.parametrize("path", sorted(DASHBOARDS.rglob("*.json")), ids=lambda p: p.name)
def test_every_json_file_parses(path: Path):
    """Each JSON file under dashboards/ is valid JSON with an object at the top."""
    assert isinstance(json.loads(path.read_text(encoding="utf-8")), dict)


@pytest.mark.parametrize("path", sorted(DASHBOARDS.rglob("*.yaml")), ids=lambda p: p.name)
def test_every_yaml_file_parses(path: Path):
    """Each YAML file under dashboards/ is valid YAML with a mapping at the top."""
    assert isinstance(yaml.safe_load(path.read_text(encoding="utf-8")), dict)


PROMQL_FUNCTIONS = {
    "sum", "rate", "increase", "histogram_quantile", "avg", "max", "min", "count",
    "clamp_min", "irate", "label_values",
}  # fmt: skip
"""PromQL (and Grafana variable) functions the dashboard may call."""
_SELECTOR = 'faas_name=~"$function"'


def metric_uses(expr: str) -> list[tuple[str, str]]:
    """(name, label selector or '') of every series an expression names.

    Strings and `by (...)` groupings are dropped; an identifier followed by '(' is a
    function, any other identifier is a metric name, with the `{...}` after it if any.
    """
    text = re.sub(r"\b(?:by|without)\s*\([^)]*\)", " ", expr)
    text = re.sub(r"\[[^\]]*\]", " ", text)
    uses: list[tuple[str, str]] = []
    pos = 0
    for m in re.finditer(r'"[^"]*"|\{[^}]*\}|[A-Za-z_:][A-Za-z0-9_:]*(?=\s*(\(|\{)?)', text):
        if m.start() < pos or m.group(0)[0] in '"{':
            continue
        if m.group(1) == "(":
            assert m.group(0) in PROMQL_FUNCTIONS, (m.group(0), expr)
            continue
        selector = re.match(r"\s*(\{[^}]*\})?", text[m.end() :])
        braces = selector.group(1) if selector and selector.group(1) else ""
        pos = m.end() + (selector.end() if selector else 0)
        uses.append((m.group(0), braces))
    return uses


def _grafana_exprs() -> list[str]:
    dash = _json("grafana/lambdascope.json")
    return [t["expr"] for p in dash["panels"] for t in p["targets"]]


def _grafana_variable_queries() -> list[str]:
    dash = _json("grafana/lambdascope.json")
    return [v["query"] for v in dash["templating"]["list"] if v.get("type") == "query"]


def names_ok(expr: str) -> bool:
    """Every series in `expr` is an emitted name and filtered on the function variable."""
    uses = metric_uses(expr)
    return bool(uses) and all(n in prometheus_names() and _SELECTOR in s for n, s in uses)


def test_grafana_names_only_emitted_metrics():
    """Every series in every Grafana panel is one export produces, filtered by function."""
    exprs = _grafana_exprs()
    assert exprs and all(names_ok(e) for e in exprs), [e for e in exprs if not names_ok(e)]


def test_grafana_variable_query_uses_emitted_metric():
    """The function variable lists faas_name values of a metric export produces."""
    (query,) = _grafana_variable_queries()
    m = re.fullmatch(r"label_values\((\w+),\s*faas_name\)", query)
    assert m and m.group(1) in prometheus_names()
    assert [n for n, _ in metric_uses(query) if n != "faas_name"] == [m.group(1)]


@pytest.mark.parametrize(
    "expr",
    [
        'sum(increase(fass_errors_total{faas_name=~"$function"}[$__range]))',
        "sum(increase(faas_errors_total[$__range]))",
        "sum(faas_errors_total)",
        'sum(faas_errors_total{faas_name=~"$function"}) + faas_timeouts_total',
        'sum by (le) (rate(faas_invoke_duration_bucket{faas_name=~"$function"}[5m]))',
    ],
    ids=["prefix-typo", "no-selector", "bare", "second-bare", "no-unit-suffix"],
)
def test_name_check_rejects_an_altered_expression(expr: str):
    """The name check fails on a typo'd prefix, a missing selector or a missing unit."""
    assert not names_ok(expr)


def test_name_check_accepts_the_real_expressions_shape():
    """A correct expression with by(), ranges and a division passes the name check."""
    expr = (
        'sum by (faas_name) (rate(faas_mem_usage_bytes_sum{faas_name=~"$function"}[5m]))'
        ' / sum by (faas_name) (rate(faas_mem_usage_bytes_count{faas_name=~"$function"}[5m]))'
    )
    assert metric_uses(expr) == [
        ("faas_mem_usage_bytes_sum", '{faas_name=~"$function"}'),
        ("faas_mem_usage_bytes_count", '{faas_name=~"$function"}'),
    ]


def test_grafana_filters_on_the_function_label():
    """Every Grafana query filters on faas_name, the label of resource attribute faas.name."""
    panels = _json("grafana/lambdascope.json")["panels"]
    assert all('faas_name=~"$function"' in t["expr"] for p in panels for t in p["targets"])
    request = otlp_export.build_request("orders", [], 60_000)
    keys = {kv.key for kv in request.resource_metrics[0].resource.attributes}
    assert "faas.name" in keys


def test_cloudwatch_log_widgets_run_the_insights_files():
    """Each Logs Insights widget's query is one of dashboards/insights/*.query."""
    queries = set(_queries().values())
    widgets = [w for w in _json("cloudwatch/lambdascope.json")["widgets"] if w["type"] == "log"]
    assert widgets
    for w in widgets:
        source, _, query = w["properties"]["query"].partition(" | ")
        assert source.startswith("SOURCE '/aws/lambda/") and query in queries


def test_cloudwatch_metrics_exist():
    """Metric widgets name AWS/Lambda metrics or lambdascope's names (namespace LambdaScope)."""
    for w in _json("cloudwatch/lambdascope.json")["widgets"]:
        namespace = None
        for line in w["properties"].get("metrics", []):
            namespace = namespace if line[0] in (".", "...") else line[0]
            name = line[1] if len(line) > 1 and isinstance(line[1], str) else None
            if line[0] == "..." or name in (None, "."):
                continue
            known = AWS_LAMBDA_METRICS if namespace == "AWS/Lambda" else set(_names.ALL_METRICS)
            assert name in known, (namespace, name)


@pytest.mark.parametrize(
    "rel", ["otel-collector/lambda-extension.yaml", "otel-collector/central.yaml"]
)
def test_collector_pipelines_use_defined_components(rel: str):
    """Each pipeline references receivers, processors and exporters that the file defines."""
    cfg = _yaml(rel)
    for pipeline in cfg["service"]["pipelines"].values():
        for kind in ("receivers", "processors", "exporters"):
            assert set(pipeline.get(kind, [])) <= set(cfg.get(kind, {})), (kind, pipeline)


@pytest.mark.parametrize(
    "rel", ["otel-collector/lambda-extension.yaml", "otel-collector/central.yaml"]
)
def test_collector_selects_only_emitted_metrics(rel: str):
    """awsemf metric selectors name only lambdascope metrics."""
    exporters = _yaml(rel)["exporters"]
    selectors = {
        s for d in exporters["awsemf"]["metric_declarations"] for s in d["metric_name_selectors"]
    }
    assert selectors <= set(_names.ALL_METRICS)


def test_prometheus_exporter_keeps_function_label():
    """The central prometheus exporter converts resource attributes to labels (faas_name)."""
    prom = _yaml("otel-collector/central.yaml")["exporters"]["prometheus"]
    assert prom["resource_to_telemetry_conversion"]["enabled"] is True


def test_insights_queries_use_lambda_fields_only():
    """Insights queries use only system and Lambda discovered @fields."""
    allowed = {
        "@type", "@message", "@timestamp", "@log", "@logStream", "@requestId", "@duration",
        "@billedDuration", "@memorySize", "@maxMemoryUsed", "@initDuration", "@ingestionTime",
    }  # fmt: skip
    used = {f for q in _queries().values() for f in re.findall(r"@[A-Za-z]+", q)}
    assert used and used <= allowed


def test_grafana_queries_have_balanced_brackets():
    """Every PromQL expression opens and closes (), {} and [] in matching order."""
    pairs = {")": "(", "}": "{", "]": "["}
    for p in _json("grafana/lambdascope.json")["panels"]:
        for t in p["targets"]:
            stack: list[str] = []
            for ch in re.sub(r'"[^"]*"', '""', t["expr"]):
                if ch in "({[":
                    stack.append(ch)
                elif ch in pairs:
                    assert stack and stack.pop() == pairs[ch], t["expr"]
            assert not stack, t["expr"]


@pytest.mark.parametrize("rel", COLLECTORS)
def test_awsemf_counts_the_first_value_of_a_series(rel: str):
    """awsemf keeps each series' first delta (cold starts, a new environment's first flush)."""
    assert _yaml(rel)["exporters"]["awsemf"]["retain_initial_value_of_delta_metric"] is True


def test_extension_awsemf_writes_to_stdout():
    """The Lambda extension prints EMF on stdout (the function's log group), no API call."""
    awsemf = _yaml("otel-collector/lambda-extension.yaml")["exporters"]["awsemf"]
    assert awsemf["output_destination"] == "stdout"
    assert "log_group_name" not in awsemf


def test_central_prometheus_exposes_created_timestamps():
    """The central prometheus exporter serves OpenMetrics (series start times, `_created`)."""
    prom = _yaml("otel-collector/central.yaml")["exporters"]["prometheus"]
    assert prom["enable_open_metrics"] is True


@pytest.mark.parametrize("rel", COLLECTORS)
def test_cloudwatch_dimension_is_the_collectors_dimension(rel: str):
    """LambdaScope widgets use dimension faas.name, the one awsemf declares in each collector."""
    declared = {
        d for decl in _yaml(rel)["exporters"]["awsemf"]["metric_declarations"]
        for dims in decl["dimensions"] for d in dims
    }  # fmt: skip
    used = {
        line[2]
        for w in _json("cloudwatch/lambdascope.json")["widgets"]
        for line in w["properties"].get("metrics", [])
        if line[0] == "LambdaScope"
    }
    assert used == {"faas.name"} and used <= declared
