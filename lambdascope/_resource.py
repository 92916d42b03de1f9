"""OpenTelemetry resource attributes of a Lambda function (FaaS and cloud semantic conventions)."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from lambdascope._config import Config


def function_arn(invoked_arn: str, version: str | None) -> str:
    """The function's ARN with an alias suffix replaced by the resolved version (semconv)."""
    parts = invoked_arn.split(":")
    if len(parts) == 8 and version:
        parts[7] = version
    return ":".join(parts)


def _fact(context: Any, attribute: str, variable: str) -> Any:
    """The context's attribute, else Lambda's environment variable (None when neither is set)."""
    return getattr(context, attribute, None) or os.environ.get(variable)


def resource_attributes(config: Config, context: Any) -> dict[str, Any]:
    """Resource attributes from the context and Lambda's environment variables."""
    env = os.environ
    name = _fact(context, "function_name", "AWS_LAMBDA_FUNCTION_NAME")
    version = _fact(context, "function_version", "AWS_LAMBDA_FUNCTION_VERSION")
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
    instance = _fact(context, "log_stream_name", "AWS_LAMBDA_LOG_STREAM_NAME")
    if instance:
        attrs["faas.instance"] = str(instance)
    memory = _fact(context, "memory_limit_in_mb", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE")
    with contextlib.suppress(TypeError, ValueError):
        attrs["faas.max_memory"] = int(memory) * 1024 * 1024
    return attrs


def build_resource(config: Config, context: Any) -> Any:
    """The function's Resource: our attributes, then OTEL_RESOURCE_ATTRIBUTES and
    OTEL_SERVICE_NAME over them, then an explicit service name over all.

    `Resource.create()` would scan every installed distribution for resource-detector entry
    points (~10 ms of cold start); we only do that when OTEL_EXPERIMENTAL_RESOURCE_DETECTORS
    asks for detectors.
    """
    from opentelemetry.sdk.resources import OTELResourceDetector, Resource
    from opentelemetry.sdk.version import __version__ as sdk_version

    ours = Resource(resource_attributes(config, context))
    if os.environ.get("OTEL_EXPERIMENTAL_RESOURCE_DETECTORS"):
        resource = ours.merge(Resource.create())
    else:
        sdk = {
            "telemetry.sdk.language": "python",
            "telemetry.sdk.name": "opentelemetry",
            "telemetry.sdk.version": sdk_version,
        }
        resource = Resource(sdk).merge(ours).merge(OTELResourceDetector().detect())
    if config.service:
        resource = resource.merge(Resource({"service.name": config.service}))
    return _hash_once(resource)


def _hash_once(resource: Any) -> Any:
    """The same resource, hashed once: the OTLP encoders group by resource on every export,
    and `Resource.__hash__` renders its attributes as JSON each time (~6 % of a flush)."""
    from opentelemetry.sdk.resources import Resource

    class FunctionResource(Resource):
        """A Resource whose (immutable) attributes are hashed once and read as a read-only
        plain mapping (the SDK's BoundedAttributes iterate in Python, on every export)."""

        _hash: int | None = None
        _plain: Mapping[str, Any] = MappingProxyType({})

        @property
        def attributes(self) -> Any:
            return self._plain

        def __hash__(self) -> int:
            if self._hash is None:
                self._hash = super().__hash__()
            return self._hash

    frozen = FunctionResource(resource.attributes, resource.schema_url)
    frozen._plain = MappingProxyType(dict(resource.attributes))
    return frozen
