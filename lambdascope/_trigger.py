"""Tell from an event's shape which AWS service invoked the function (never logs the event)."""

from __future__ import annotations

from typing import Any

Trigger = tuple[str, str]
"""(OTel `faas.trigger`, lambdascope `source`)."""

OTHER: Trigger = ("other", "other")

_RECORD_SOURCES: dict[str, Trigger] = {
    "aws:sqs": ("pubsub", "sqs"),
    "aws:sns": ("pubsub", "sns"),
    "aws:s3": ("datasource", "s3"),
    "aws:dynamodb": ("datasource", "dynamodb"),
    "aws:kinesis": ("pubsub", "kinesis"),
    "aws:ses": ("pubsub", "ses"),
    "aws:codecommit": ("other", "codecommit"),
}
"""`Records[0].eventSource` (`EventSource` for SNS) → trigger. The source is only ever one of
these fixed names: any other value (a user's own payload) is reported as "other"."""

_BATCH_SOURCES: dict[str, Trigger] = {
    "aws:kafka": ("pubsub", "kafka"),
    "SelfManagedKafka": ("pubsub", "kafka"),
    "aws:mq": ("pubsub", "mq"),
    "aws:amq": ("pubsub", "mq"),
    "aws:rmq": ("pubsub", "mq"),
    "aws:docdb": ("datasource", "docdb"),
}
"""Top-level `eventSource` of batch events whose records are grouped in a dict."""

CONSUMER_SOURCES = frozenset({"sqs", "sns", "kinesis", "dynamodb", "kafka", "mq"})
"""Sources whose span is of kind CONSUMER (SERVER otherwise)."""


def _http(event: dict[str, Any], context: Any) -> Trigger | None:
    if "version" in event and "routeKey" in event:
        domain = context.get("domainName", "") if isinstance(context, dict) else ""
        if ".lambda-url." in str(domain):
            return ("http", "function-url")
        return ("http", "apigw-v2")
    if isinstance(context, dict):
        if "elb" in context:
            return ("http", "alb")
        if "connectionId" in context:
            return ("other", "apigw-websocket")
    if "httpMethod" in event:
        return ("http", "apigw-v1")
    return None


def _records(first: Any) -> Trigger | None:
    if not isinstance(first, dict):
        return None
    source = first.get("eventSource") or first.get("EventSource")
    if isinstance(source, str):
        return _RECORD_SOURCES.get(source, OTHER)  # never the event's own text
    if "cf" in first:
        return ("http", "cloudfront")
    return None


def _eventbridge(event: dict[str, Any]) -> Trigger:
    if event.get("detail-type") == "Scheduled Event":
        return ("timer", "schedule")
    return ("pubsub", "eventbridge")


def detect(event: object) -> Trigger:
    """Return (trigger, source) for an event; ("other", "other") when unknown."""
    if not isinstance(event, dict):
        return OTHER
    context = event.get("requestContext")
    if context is not None or "httpMethod" in event:
        found = _http(event, context)
        if found is not None:
            return found
    records = event.get("Records")
    if isinstance(records, list) and records:
        return _records(records[0]) or OTHER
    if "detail-type" in event and "source" in event:
        return _eventbridge(event)
    if "awslogs" in event:
        return ("pubsub", "cloudwatch-logs")
    batch = event.get("eventSource")
    if isinstance(batch, str) and batch in _BATCH_SOURCES:
        return _BATCH_SOURCES[batch]
    if "triggerSource" in event and "userPoolId" in event:
        return ("other", "cognito")
    if "RequestType" in event and "ResponseURL" in event:
        return ("other", "cloudformation")
    return OTHER
