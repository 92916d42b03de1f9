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
    """Names the collector's prometheus exporter gives the metrics `export` sends."""
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


def test_grafana_names_only_emitted_metrics():
    """Every faas_/lambdascope_ series in the Grafana panels is one export produces."""
    exprs = [t["expr"] for p in _json("grafana/lambdascope.json")["panels"] for t in p["targets"]]
    used = {m for e in exprs for m in re.findall(r"\b(?:faas|lambdascope)_[a-z0-9_]+(?=[{\[])", e)}
    assert used and used <= prometheus_names()


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
