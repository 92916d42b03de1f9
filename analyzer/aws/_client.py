"""boto3 clients with retries, and AWS failures turned into one clear message each.

Credentials come only from boto3's default chain or a named profile; this module never
reads, prints, logs or stores them.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

DEFAULT_MAX_ATTEMPTS = 10
"""Attempts per API call (botocore adaptive retries); AWS_MAX_ATTEMPTS overrides it."""


class AwsError(Exception):
    """An AWS failure explained for the user: what went wrong and what to do."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class AwsTarget:
    """Where and as whom to call AWS: region, profile and an optional endpoint."""

    region: str | None = None
    profile: str | None = None
    endpoint_url: str | None = None


def max_attempts() -> int:
    """Attempts per call: AWS_MAX_ATTEMPTS when it is a positive integer, else the default."""
    raw = os.environ.get("AWS_MAX_ATTEMPTS", "")
    return int(raw) if raw.isdigit() and int(raw) > 0 else DEFAULT_MAX_ATTEMPTS


def make_client(service: str, target: AwsTarget) -> Any:
    """A boto3 client for `service` with adaptive retries and bounded timeouts."""
    import boto3  # boto3 is heavy; only AWS commands need it
    from botocore.config import Config

    with aws_errors():
        session = boto3.session.Session(profile_name=target.profile, region_name=target.region)
        if session.get_credentials() is None:  # say it now, before anything is written
            from botocore.exceptions import NoCredentialsError

            raise NoCredentialsError()
        config = Config(
            retries={"mode": "adaptive", "max_attempts": max_attempts()},
            connect_timeout=10,
            read_timeout=60,
            user_agent_extra="lambdascope",
        )
        new_client: Any = session.client  # typed per service literal; ours is a str
        return new_client(service, endpoint_url=target.endpoint_url, config=config)


@contextmanager
def aws_errors(context: str = "") -> Iterator[None]:
    """Turn botocore failures raised inside into `AwsError` with a clear message."""
    from botocore import exceptions as bx

    try:
        yield
    except bx.BotoCoreError as exc:
        raise AwsError(_prefix(context) + _explain_botocore(exc)) from None
    except bx.ClientError as exc:
        message = explain_client_error(exc.response, exc.operation_name)
        raise AwsError(_prefix(context) + message) from None


def _prefix(context: str) -> str:
    return f"{context}: " if context else ""


def _explain_botocore(exc: Exception) -> str:
    from botocore import exceptions as bx

    if isinstance(exc, bx.NoCredentialsError | bx.PartialCredentialsError):
        return (
            "no AWS credentials found. Configure them with 'aws configure' or "
            "'aws sso login', or choose a profile with --profile NAME (or AWS_PROFILE)"
        )
    if isinstance(exc, bx.ProfileNotFound):
        return (
            "that AWS profile is not in your AWS config: check --profile / AWS_PROFILE "
            "('aws configure list-profiles' shows the names)"
        )
    if isinstance(exc, bx.NoRegionError):
        return "no AWS region configured: pass --region (or set AWS_REGION)"
    if isinstance(exc, bx.InvalidRegionError):
        region = getattr(exc, "kwargs", {}).get("region_name", "")
        return f"{region!r} is not an AWS region name (e.g. eu-west-1): check --region / AWS_REGION"
    if isinstance(exc, bx.EndpointConnectionError | bx.ConnectTimeoutError):
        return (
            f"cannot reach the AWS endpoint ({getattr(exc, 'kwargs', {}).get('endpoint_url', '')})"
            ": check your network, --region and --endpoint-url"
        )
    if isinstance(exc, bx.ReadTimeoutError):
        return "AWS did not answer in time: try again, or fetch a shorter --since/--until range"
    if isinstance(exc, bx.CredentialRetrievalError | bx.TokenRetrievalError):
        return "could not obtain AWS credentials (expired SSO session?): run 'aws sso login'"
    return f"AWS client error: {type(exc).__name__}"


_THROTTLED = {
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "TooManyRequestsException",
    "RequestLimitExceeded",
    "SlowDown",
    "RequestThrottled",
}
_DENIED = {"AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "Forbidden"}
_BAD_CREDENTIALS = {
    "UnrecognizedClientException",
    "InvalidClientTokenId",
    "InvalidAccessKeyId",
    "ExpiredToken",
    "ExpiredTokenException",
    "InvalidSignatureException",
    "SignatureDoesNotMatch",
}


def explain_client_error(response: Any, operation: str) -> str:
    """One message with what to do, for an AWS error response of `operation`."""
    error = response.get("Error", {}) if isinstance(response, dict) else {}
    code = str(error.get("Code", ""))
    text = str(error.get("Message", "")).strip()
    if code in _THROTTLED:
        return (
            f"AWS kept throttling {operation} after {max_attempts()} attempts: try again "
            "later, fetch a shorter time range, or raise AWS_MAX_ATTEMPTS"
        )
    if code in _DENIED:
        return (
            f"access denied for {operation}: the credentials in use need permission for "
            f"it (IAM action for {operation}); use another --profile or ask for the permission"
        )
    if code in _BAD_CREDENTIALS:
        return (
            f"AWS rejected the credentials ({code}): refresh them ('aws sso login' or new "
            "keys) or choose another --profile"
        )
    if code in {"ResourceNotFoundException", "NoSuchLogGroup"}:
        return (
            f"not found ({text or code}): check the log group name (a function's group is "
            "/aws/lambda/NAME; 'aws logs describe-log-groups' lists them) and --region"
        )
    if code == "InvalidParameterException" and operation == "CreateExportTask":
        return (
            f"AWS refused CreateExportTask ({text}): the bucket must be in the log group's "
            "region and its policy must allow logs.amazonaws.com s3:GetBucketAcl and "
            "s3:PutObject; fix the bucket policy and re-run"
        )
    if code in {"NoSuchBucket", "404"}:
        return "the S3 bucket does not exist: check --bucket and --region"
    if code == "LimitExceededException" and operation == "CreateExportTask":
        return (
            "another export task is already running in this account (AWS allows one): wait "
            "for it ('aws logs describe-export-tasks --status-code RUNNING') and re-run"
        )
    if code == "MalformedQueryException":
        return f"Logs Insights rejected the query ({text}): please report this as a bug"
    if code == "LimitExceededException" and operation == "StartQuery":
        return (
            "too many Logs Insights queries are running in this account: wait for them to "
            "finish (or stop them in the console) and re-run"
        )
    if code == "LimitExceededException":
        return f"AWS limit reached in {operation} ({text}): try again later"
    return f"AWS refused {operation} ({code}: {text})"
