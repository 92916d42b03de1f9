"""OpenTelemetry resource attributes of a Lambda function (FaaS and cloud semantic conventions)."""

from __future__ import annotations

import contextlib
import os
from typing import Any

from lambdascope._config import Config


def function_arn(invoked_arn: str, version: str | None) -> str:
    """The function's ARN with an alias suffix replaced by the resolved version (semconv)."""
    parts = invoked_arn.split(":")
    if len(parts) == 8 and version:
        parts[7] = version
    return ":".join(parts)


def resource_attributes(config: Config, context: Any) -> dict[str, Any]:
    """Resource attributes from the context and Lambda's environment variables."""
    env = os.environ
    name = getattr(context, "function_name", None) or env.get("AWS_LAMBDA_FUNCTION_NAME")
    version = getattr(context, "function_version", None) or env.get("AWS_LAMBDA_FUNCTION_VERSION")
    attrs: dict[str, Any] = {
        "cloud.provider": "aws",
        "cloud.platform": "aws_lambda",
    }
    region = env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION")
    arn = str(getattr(context, "invoked_function_arn", "") or "")
    arn_parts = arn.split(":")
    if not region and len(arn_parts) > 3:
        region = arn_parts[3]
    if region:
        attrs["cloud.region"] = region
    if len(arn_parts) > 4 and arn_parts[4]:
        attrs["cloud.account.id"] = arn_parts[4]
        attrs["cloud.resource_id"] = function_arn(arn, version)
    if name:
        attrs["faas.name"] = str(name)
        attrs["service.name"] = config.service or str(name)
    elif config.service:
        attrs["service.name"] = config.service
    if version:
        attrs["faas.version"] = str(version)
    instance = getattr(context, "log_stream_name", None) or env.get("AWS_LAMBDA_LOG_STREAM_NAME")
    if instance:
        attrs["faas.instance"] = str(instance)
    memory = getattr(context, "memory_limit_in_mb", None) or env.get(
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE"
    )
    with contextlib.suppress(TypeError, ValueError):
        attrs["faas.max_memory"] = int(memory) * 1024 * 1024  # type: ignore[arg-type]
    return attrs
