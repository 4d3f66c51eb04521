"""The codec against WeChat's own sample and against forged, replayed and broken input."""

from __future__ import annotations

import pytest

from adapters.wechat.codec import Codec, Refused, signature
from tests.fakes_wechat import AES_KEY, APPID, TOKEN, Signer, text_xml

SAMPLE_ENCRYPT = (
    "hyzAe4OzmOMbd6TvGdIOO6uBmdJoD0Fk53REIHvxYtJlE2B655HuD0m8KUePWB3+LrPXo87wzQ1QLvbeUgmBM4x6F8PGHQHFVAFmOD2LdJF9Fr"
    "XpbUAh0B5GIItb52sn896wVsMSHGuPE328HnRGBcrS7C41IzDWyWNlZkyyXwon8T332jisa+h6tEDYsVticbSnyU8dKOIbgU6ux5VTjg3yt+WGz"
    "jlpKn6NPhRjpA912xMezR4kw6KWwMrCVKSVCZciVGCgavjIQ6X8tCOp3yZbGpy0VxpAe+77TszTfRd5RJSVO/HTnifJpXgCSUdUue1v6h0EIBYYI"
    "1BD1DlD+C0CR8e6OewpusjZ4uBl9FyJvnhvQl+q5rv1ixrcpCumEPo5MJSgM9ehVsNPfUM669WuMyVWQLCzpu9GhglF2PE="
)
SAMPLE_QUERY = {
    "timestamp": "1409735669",
    "nonce": "1320562132",
    "msg_signature": "5d197aaffba7e9b25a30732f161a50dee96bd5fa",
    "encrypt_type": "aes",
    "signature": signature(TOKEN, "1409735669", "1320562132"),
}


def test_the_official_sample_decrypts_to_the_documented_message() -> None:
    codec = Codec(TOKEN, aes_key=AES_KEY, appid=APPID, max_skew=0)
    body = f"<xml><ToUserName><![CDATA[gh_10f6c3c3ac5a]]></ToUserName><Encrypt><![CDATA[{SAMPLE_ENCRYPT}]]></Encrypt></xml>"
    codec.check_query(SAMPLE_QUERY)
    decoded = codec.decode(body.encode(), SAMPLE_QUERY)
    message = decoded.message
    assert decoded.encrypted
    assert (message.type, message.source, message.target) == ("text", "oyORnuP8q7ou2gfYjqLzSIWZf0rs", "gh_10f6c3c3ac5a")
    assert message.content == "abcdteT"
    assert message.id == 6054768590064713728


def test_the_sample_is_refused_outside_the_time_window() -> None:
    codec = Codec(TOKEN, aes_key=AES_KEY, appid=APPID, max_skew=300)
    with pytest.raises(Refused, match="window"):
        codec.check_query(SAMPLE_QUERY)


def test_a_wrong_appid_is_refused() -> None:
    codec = Codec(TOKEN, aes_key=AES_KEY, appid="wx0000000000000000", max_skew=0)
    body = f"<xml><Encrypt><![CDATA[{SAMPLE_ENCRYPT}]]></Encrypt></xml>"
    with pytest.raises(Refused, match="appid") as refused:
        codec.decode(body.encode(), SAMPLE_QUERY)
    assert refused.value.status == 403


@pytest.mark.parametrize("tamper", ["signature", "timestamp", "nonce"])
def test_forged_queries_are_refused(tamper: str) -> None:
    codec = Codec(TOKEN)
    query = Signer().query()
    query[tamper] = query[tamper][:-1] + ("0" if query[tamper][-1] != "0" else "1")
    with pytest.raises(Refused) as refused:
        codec.check_query(query)
    assert refused.value.status == 403


def test_a_tampered_encrypt_is_refused_before_decrypting() -> None:
    codec = Codec(TOKEN, aes_key=AES_KEY, appid=APPID)
    query, body = Signer(aes_key=AES_KEY).sign(text_xml("hi"), mode="safe")
    with pytest.raises(Refused, match="msg_signature"):
        codec.decode(body.replace(b"<Encrypt><![CDATA[", b"<Encrypt><![CDATA[A"), query)


def test_plaintext_is_refused_once_aes_is_configured() -> None:
    codec = Codec(TOKEN, aes_key=AES_KEY, appid=APPID)
    query, body = Signer().sign(text_xml("hi"))
    with pytest.raises(Refused, match="plaintext"):
        codec.decode(body, query)


@pytest.mark.parametrize("body", [b"<xml><MsgType>text", b"not xml", b"<xml></xml>", b"\xff\xfe", b""])
def test_malformed_bodies_are_refused_with_400(body: bytes) -> None:
    codec = Codec(TOKEN)
    with pytest.raises(Refused) as refused:
        codec.decode(body, Signer().query())
    assert refused.value.status == 400
