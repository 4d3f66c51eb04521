"""The wire format of WeChat's callback: signatures, the timestamp window, AES, XML.

wechatpy parses and encrypts, but its signature checks compare with `!=` and know no
timestamp window, so every check here is done first, in constant time, and only then is
the body handed to wechatpy. Every refusal is a `Refused` with the HTTP status to answer
and a short reason for the log, never a stack trace for the caller.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from xml.parsers.expat import ExpatError

import xmltodict
from wechatpy import parse_message
from wechatpy.crypto import WeChatCrypto
from wechatpy.exceptions import InvalidAppIdException, InvalidSignatureException
from wechatpy.messages import BaseMessage


class Refused(Exception):
    """A request we will not process; `status` is what the caller gets, `reason` is logged."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


def signature(token: str, *parts: str) -> str:
    """WeChat's signature: sha1 over the sorted token, timestamp, nonce (and Encrypt)."""
    return hashlib.sha1("".join(sorted((token, *parts))).encode()).hexdigest()


@dataclass(frozen=True)
class Decoded:
    """A parsed message and whether its reply must go back encrypted."""

    message: BaseMessage
    encrypted: bool


class Codec:
    """Checks and decodes one account's callbacks and encodes the replies."""

    def __init__(
        self,
        token: str,
        *,
        aes_key: str = "",
        appid: str = "",
        max_skew: int = 300,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.token = token
        self.max_skew = max_skew
        self.clock = clock
        self.crypto = WeChatCrypto(token, aes_key, appid) if aes_key else None

    # -- checks, before the body is even read ------------------------------------------

    def check_query(self, query: Mapping[str, str]) -> None:
        """Refuse a request whose `signature` or `timestamp` is wrong (GET and POST)."""
        if not self.token:
            raise Refused(403, "BANSHI_WECHAT_TOKEN is not configured")
        timestamp, nonce = query.get("timestamp", ""), query.get("nonce", "")
        given = query.get("signature", "")
        if not (timestamp and nonce and given):
            raise Refused(403, "signature, timestamp or nonce missing")
        self._check_time(timestamp)
        if not _same(given, signature(self.token, timestamp, nonce)):
            raise Refused(403, "bad signature")

    def _check_time(self, timestamp: str) -> None:
        try:
            sent = int(timestamp)
        except ValueError:
            raise Refused(403, "timestamp is not a number") from None
        if self.max_skew and abs(self.clock() - sent) > self.max_skew:
            raise Refused(403, f"timestamp outside the {self.max_skew}s window")

    # -- decoding ----------------------------------------------------------------------

    def decode(self, body: bytes, query: Mapping[str, str]) -> Decoded:
        """The parsed message of a POST whose query already passed `check_query`."""
        encrypted = query.get("encrypt_type", "raw").lower() == "aes"
        if encrypted:
            xml = self._decrypt(body, query)
        elif self.crypto is not None:
            # In plaintext mode the signature does not cover the body; once an AES key is
            # configured, only bodies that the key authenticates are accepted.
            raise Refused(403, "plaintext message while safe mode (AES) is configured")
        try:
            if not encrypted:
                xml = body.decode("utf-8", errors="strict") if body else ""
            message = parse_message(xml)
        except (ExpatError, KeyError, TypeError, ValueError, UnicodeError) as e:
            raise Refused(400, f"malformed message XML ({type(e).__name__})") from None
        if message is None:
            raise Refused(400, "empty body")
        return Decoded(message, encrypted)

    def _decrypt(self, body: bytes, query: Mapping[str, str]) -> str:
        if self.crypto is None:
            raise Refused(403, "encrypted message but BANSHI_WECHAT_AES_KEY is not configured")
        try:
            outer: Any = xmltodict.parse(body)["xml"]
            encrypt = outer["Encrypt"]
        except (ExpatError, KeyError, TypeError, ValueError, UnicodeError) as e:
            raise Refused(400, f"malformed envelope XML ({type(e).__name__})") from None
        if not isinstance(encrypt, str) or not encrypt:
            raise Refused(400, "empty Encrypt element")
        timestamp, nonce = query.get("timestamp", ""), query.get("nonce", "")
        given = query.get("msg_signature", "")
        if not _same(given, signature(self.token, timestamp, nonce, encrypt)):
            raise Refused(403, "bad msg_signature")
        try:
            xml = self.crypto.decrypt_message({"Encrypt": encrypt}, given, timestamp, nonce)
        except InvalidAppIdException:
            raise Refused(403, "message is for another appid") from None
        except InvalidSignatureException:  # pragma: no cover - checked above already
            raise Refused(403, "bad msg_signature") from None
        except Exception as e:  # bad base64, padding, length: all mean "not from WeChat"
            raise Refused(400, f"undecryptable Encrypt ({type(e).__name__})") from None
        return str(xml)

    def echo(self, query: Mapping[str, str]) -> str:
        """The `echostr` of a server-verification GET that passed `check_query`."""
        echostr = query.get("echostr", "")
        if not echostr:
            raise Refused(400, "echostr missing")
        return echostr

    # -- encoding ----------------------------------------------------------------------

    def encode(self, xml: str, encrypted: bool, nonce: str) -> str:
        """The body to answer: the reply XML itself, or its encrypted envelope."""
        if not encrypted or not xml or xml == "success" or self.crypto is None:
            return xml
        return str(self.crypto.encrypt_message(xml, nonce, str(int(self.clock()))))


def _same(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.lower().encode(), expected.encode())
