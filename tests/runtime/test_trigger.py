"""Trigger and source are told from real event shapes (trimmed AWS sample events)."""
# ruff: noqa: E501 - real event samples keep their long ARNs and payloads

from __future__ import annotations

from typing import Any

import pytest

from lambdascope._trigger import detect

APIGW_V1 = {
    "resource": "/{proxy+}",
    "path": "/hello/world",
    "httpMethod": "POST",
    "headers": {"Accept": "*/*", "Host": "1234567890.execute-api.us-east-1.amazonaws.com"},
    "requestContext": {
        "accountId": "123456789012",
        "resourceId": "123456",
        "stage": "prod",
        "requestId": "c6af9ac6-7b61-11e6-9a41-93e8deadbeef",
        "httpMethod": "POST",
        "apiId": "1234567890",
        "protocol": "HTTP/1.1",
    },
    "body": '{"test":"body"}',
    "isBase64Encoded": False,
}
HTTP_API_V2 = {
    "version": "2.0",
    "routeKey": "$default",
    "rawPath": "/my/path",
    "rawQueryString": "parameter1=value1",
    "headers": {"header1": "value1"},
    "requestContext": {
        "accountId": "123456789012",
        "apiId": "api-id",
        "domainName": "id.execute-api.us-east-1.amazonaws.com",
        "domainPrefix": "id",
        "http": {"method": "POST", "path": "/my/path", "protocol": "HTTP/1.1"},
        "requestId": "id",
        "routeKey": "$default",
        "stage": "$default",
        "timeEpoch": 1583348638390,
    },
    "body": "Hello from Lambda",
    "isBase64Encoded": False,
}
FUNCTION_URL = {
    "version": "2.0",
    "routeKey": "$default",
    "rawPath": "/",
    "rawQueryString": "",
    "headers": {"host": "abcdefg.lambda-url.us-east-1.on.aws"},
    "requestContext": {
        "accountId": "anonymous",
        "apiId": "abcdefg",
        "domainName": "abcdefg.lambda-url.us-east-1.on.aws",
        "domainPrefix": "abcdefg",
        "http": {"method": "GET", "path": "/", "protocol": "HTTP/1.1"},
        "requestId": "id",
        "routeKey": "$default",
        "stage": "$default",
        "timeEpoch": 1659687279885,
    },
    "isBase64Encoded": False,
}
ALB = {
    "requestContext": {
        "elb": {
            "targetGroupArn": "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/lambda-279XGJDqGZ5rsrHC2Fjr/49e9d65c45c6791a"
        }
    },
    "httpMethod": "GET",
    "path": "/lambda",
    "queryStringParameters": {"query": "1234ABCD"},
    "headers": {"host": "lambda-alb-123578498.us-east-1.elb.amazonaws.com"},
    "body": "",
    "isBase64Encoded": False,
}
SQS = {
    "Records": [
        {
            "messageId": "059f36b4-87a3-44ab-83d2-661975830a7d",
            "receiptHandle": "AQEBwJnKyrHigUMZj6rYigCgxlaS3SLy0a",
            "body": "test",
            "attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": "1545082649183"},
            "messageAttributes": {},
            "md5OfBody": "098f6bcd4621d373cade4e832627b4f6",
            "eventSource": "aws:sqs",
            "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:my-queue",
            "awsRegion": "us-east-1",
        }
    ]
}
SNS = {
    "Records": [
        {
            "EventVersion": "1.0",
            "EventSubscriptionArn": "arn:aws:sns:us-east-1:123456789012:sns-la:21be56ed",
            "EventSource": "aws:sns",
            "Sns": {
                "Type": "Notification",
                "MessageId": "95df01b4-ee98-5cb9-9903-4c221d41eb5e",
                "TopicArn": "arn:aws:sns:us-east-1:123456789012:sns-lambda",
                "Subject": "example subject",
                "Message": "example message",
                "Timestamp": "1970-01-01T00:00:00.000Z",
            },
        }
    ]
}
S3 = {
    "Records": [
        {
            "eventVersion": "2.0",
            "eventSource": "aws:s3",
            "awsRegion": "us-east-1",
            "eventTime": "1970-01-01T00:00:00.000Z",
            "eventName": "ObjectCreated:Put",
            "s3": {
                "s3SchemaVersion": "1.0",
                "bucket": {"name": "my-bucket", "arn": "arn:aws:s3:::my-bucket"},
                "object": {"key": "HappyFace.jpg", "size": 1024},
            },
        }
    ]
}
DYNAMODB = {
    "Records": [
        {
            "eventID": "c4ca4238a0b923820dcc509a6f75849b",
            "eventName": "INSERT",
            "eventVersion": "1.1",
            "eventSource": "aws:dynamodb",
            "awsRegion": "us-east-1",
            "dynamodb": {
                "Keys": {"Id": {"N": "101"}},
                "NewImage": {"Message": {"S": "New item!"}, "Id": {"N": "101"}},
                "SequenceNumber": "4421584500000000017450439091",
                "StreamViewType": "NEW_AND_OLD_IMAGES",
            },
            "eventSourceARN": "arn:aws:dynamodb:us-east-1:123456789012:table/ExampleTable/stream/2015-06-27T00:48:05.899",
        }
    ]
}
KINESIS = {
    "Records": [
        {
            "kinesis": {
                "kinesisSchemaVersion": "1.0",
                "partitionKey": "1",
                "sequenceNumber": "49590338271490256608559692538361571095921575989136588898",
                "data": "SGVsbG8sIHRoaXMgaXMgYSB0ZXN0Lg==",
                "approximateArrivalTimestamp": 1545084650.987,
            },
            "eventSource": "aws:kinesis",
            "eventVersion": "1.0",
            "eventID": "shardId-000000000006:49590338271490256608559692538361571095921575989136588898",
            "eventName": "aws:kinesis:record",
            "awsRegion": "us-east-2",
            "eventSourceARN": "arn:aws:kinesis:us-east-2:123456789012:stream/lambda-stream",
        }
    ]
}
EVENTBRIDGE = {
    "version": "0",
    "id": "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
    "detail-type": "EC2 Instance State-change Notification",
    "source": "aws.ec2",
    "account": "111122223333",
    "time": "2017-12-22T18:43:48Z",
    "region": "us-west-1",
    "resources": ["arn:aws:ec2:us-west-1:123456789012:instance/i-1234567890abcdef0"],
    "detail": {"instance-id": "i-1234567890abcdef0", "state": "terminated"},
}
SCHEDULED = {
    "version": "0",
    "id": "53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa",
    "detail-type": "Scheduled Event",
    "source": "aws.events",
    "account": "123456789012",
    "time": "2015-10-08T16:53:06Z",
    "region": "us-east-1",
    "resources": ["arn:aws:events:us-east-1:123456789012:rule/my-scheduled-rule"],
    "detail": {},
}
SCHEDULER = {
    "version": "0",
    "id": "d167b752-343a-4b28-afd6-d4de056319e8",
    "detail-type": "Scheduled Event",
    "source": "aws.scheduler",
    "account": "533568316194",
    "time": "2025-02-20T16:03:00Z",
    "region": "us-east-1",
    "resources": ["arn:aws:scheduler:us-east-1:123456789012:schedule/default/aaaaa"],
    "detail": "{}",
}
CLOUDWATCH_LOGS = {
    "awslogs": {
        "data": "H4sIAAAAAAAAAHWPwQqCQBCGX0Xm7EFtK+smZBEUgXoLCdMhFtKV3akI8d0bLYmibvPPN3wz00CJxmQnTO41whwWQRIctmEcB6sQbFC3CjW3XW8kxpOpP+OC22d1Wml1qZkQGtoMsScxaczKN3plG8zlaHIta5KqWsozoTYw3/djzwhpLwivWFGHGpAFe7DL68JlBUk+l7KSN7tCOEJ4M3/qOI49vMHj+zCKdlFqLaU2ZHV2a4Ct/an0/ivdX8oYc1UVX860fQDQiMdxRQEAAA=="
    }
}
KAFKA = {
    "eventSource": "aws:kafka",
    "eventSourceArn": "arn:aws:kafka:us-east-1:123456789012:cluster/vpc-2priv-2pub/751d2973-a626-431c-9d4e-d7975eb44dd7-2",
    "bootstrapServers": "b-2.demo-cluster-1.a1bcde.c1.kafka.us-east-1.amazonaws.com:9092",
    "records": {
        "mytopic-0": [{"topic": "mytopic", "partition": 0, "offset": 15, "value": "SGVsbG8="}]
    },
}


@pytest.mark.parametrize(
    ("event", "expected"),
    [
        (APIGW_V1, ("http", "apigw-v1")),
        (HTTP_API_V2, ("http", "apigw-v2")),
        (FUNCTION_URL, ("http", "function-url")),
        (ALB, ("http", "alb")),
        (SQS, ("pubsub", "sqs")),
        (SNS, ("pubsub", "sns")),
        (S3, ("datasource", "s3")),
        (DYNAMODB, ("datasource", "dynamodb")),
        (KINESIS, ("pubsub", "kinesis")),
        (EVENTBRIDGE, ("pubsub", "eventbridge")),
        (SCHEDULED, ("timer", "schedule")),
        (SCHEDULER, ("timer", "schedule")),
        (CLOUDWATCH_LOGS, ("pubsub", "cloudwatch-logs")),
        (KAFKA, ("pubsub", "kafka")),
    ],
    ids=lambda v: v[1] if isinstance(v, tuple) else "",
)
def test_event_shape_gives_trigger_and_source(
    event: dict[str, Any], expected: tuple[str, str]
) -> None:
    """Each AWS event shape maps to its OTel faas.trigger and lambdascope source."""
    assert detect(event) == expected


@pytest.mark.parametrize("event", [None, "text", [1, 2], {}, {"Records": []}, {"anything": 1}])
def test_unknown_or_odd_events_are_other(event: object) -> None:
    """Direct invocations and odd payloads are ("other", "other") without raising."""
    assert detect(event) == ("other", "other")


@pytest.mark.parametrize(
    "source",
    ["aws:newservice", "aws:secret-token=abc123", "aws:" + "x" * 3000],
    ids=["new", "secret", "long"],
)
def test_unlisted_record_source_is_other(source: str) -> None:
    """A record source not in the allow-list is ("other", "other"): the event's text never leaks."""
    assert detect({"Records": [{"eventSource": source}]}) == ("other", "other")
