"""Pure notification rules at their boundaries: backoff, dead letter, quiet hours, SMS segments,
and the Aliyun signature against the example in Aliyun's documentation."""

import datetime as dt

from council.notify import rules
from council.notify.channels import aliyun_signature


def test_backoff_doubles_and_is_capped():
    assert [rules.backoff_seconds(n) for n in range(0, 5)] == [0, 30, 60, 120, 240]
    assert rules.backoff_seconds(20) == rules.BACKOFF_CAP


def test_dead_after_the_last_try():
    assert not rules.is_dead(rules.MAX_ATTEMPTS - 1) and rules.is_dead(rules.MAX_ATTEMPTS)


def test_sms_segments_70_then_67():
    assert rules.sms_segments("") == 0
    assert rules.sms_segments("字" * 70) == 1
    assert rules.sms_segments("字" * 71) == 2
    assert rules.sms_segments("字" * 134) == 2
    assert rules.sms_segments("字" * 135) == 3


def test_quiet_hours_wrap_midnight():
    day = dt.datetime(2026, 12, 2)
    at = lambda h, m=0: day.replace(hour=h, minute=m)  # noqa: E731
    assert rules.in_quiet_hours(at(21)) and rules.in_quiet_hours(at(23, 59)) and rules.in_quiet_hours(at(7, 59))
    assert not rules.in_quiet_hours(at(8)) and not rules.in_quiet_hours(at(20, 59))
    assert rules.quiet_until(at(22)) == (day + dt.timedelta(days=1)).replace(hour=8)
    assert rules.quiet_until(at(3)) == day.replace(hour=8)
    assert rules.quiet_until(at(12)) == at(12)
    assert not rules.in_quiet_hours(at(3), "00:00", "00:00")  # equal: none
    assert rules.in_quiet_hours(at(13), "12:00", "14:00") and not rules.in_quiet_hours(at(14), "12:00", "14:00")


def test_only_non_urgent_sms_waits():
    assert rules.holds_for_quiet("sms", False)
    assert not rules.holds_for_quiet("sms", True) and not rules.holds_for_quiet("email", False)


def _sdk_style_signature(params: dict, secret: str, method: str) -> str:
    """Aliyun's SDKs encode with quote_plus, then put back %20, %2A and ~: an independent route."""
    import base64
    import hashlib
    import hmac
    from urllib.parse import quote_plus

    enc = lambda v: quote_plus(str(v), safe="").replace("+", "%20").replace("*", "%2A").replace("%7E", "~")  # noqa: E731
    canonical = "&".join(f"{enc(k)}={enc(params[k])}" for k in sorted(params))
    to_sign = f"{method}&{enc('/')}&{enc(canonical)}"
    return base64.b64encode(hmac.new(f"{secret}&".encode(), to_sign.encode(), hashlib.sha1).digest()).decode()


def test_aliyun_signature_follows_the_pop_encoding():
    params = {
        "AccessKeyId": "testid", "Action": "SendSms", "Format": "JSON", "OutId": "council-1", "PhoneNumbers": "15300000001",
        "RegionId": "cn-hangzhou", "SignName": "阿里云短信测试", "SignatureMethod": "HMAC-SHA1",
        "SignatureNonce": "45e25e9b-0a6f-4070-8c85-2956eda1b466", "SignatureVersion": "1.0",
        "TemplateCode": "SMS_71390007", "TemplateParam": '{"text":"a b*c~d 案件"}', "Timestamp": "2017-07-12T02:42:19Z",
        "Version": "2017-05-25",
    }
    for method in ("GET", "POST"):
        assert aliyun_signature(params, "testsecret", method) == _sdk_style_signature(params, "testsecret", method)
    assert aliyun_signature(params, "testsecret") != aliyun_signature({**params, "OutId": "council-2"}, "testsecret")
