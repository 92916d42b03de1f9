"""Everything that talks to AWS; boto3 and botocore are imported only in this package."""

from __future__ import annotations

from analyzer.aws._client import AwsError

__all__ = ["AwsError"]
