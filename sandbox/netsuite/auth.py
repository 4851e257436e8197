"""Token-Based Authentication as NetSuite checks it: OAuth 1.0a with HMAC-SHA256, by hand.

The emulator verifies signatures with hmac/hashlib only, never with the client's signing
library, so a bug cannot hide in both.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from urllib.parse import quote, unquote

REQUIRED = (
    "oauth_consumer_key",
    "oauth_token",
    "oauth_nonce",
    "oauth_timestamp",
    "oauth_signature_method",
    "oauth_version",
    "oauth_signature",
)
TIMESTAMP_WINDOW = 300.0  # seconds either side of our clock (NetSuite's exact window: unconfirmed)
MIN_NONCE = 6
_PAIR = re.compile(r'\s*([A-Za-z_][\w-]*)\s*=\s*"([^"]*)"\s*(?:,|$)')
_HOST_SUFFIX = ".suitetalk.api.netsuite.com"


class LoginRefused(Exception):
    """The request's credentials fail; the reason is for our logs, NetSuite says only INVALID_LOGIN."""


def enc(text: str) -> str:
    """RFC 5849 percent-encoding: everything but ALPHA, DIGIT, '-', '.', '_', '~'."""
    return quote(text, safe="~")


def parse_header(header: str) -> dict[str, str]:
    """The parameters of an `Authorization: OAuth k="v", ...` header, percent-decoded."""
    if not header[:6].lower() == "oauth ":
        raise LoginRefused("no OAuth Authorization header")
    rest, params, pos = header[6:], {}, 0
    while pos < len(rest):
        match = _PAIR.match(rest, pos)
        if match is None or match.end() == pos:
            raise LoginRefused("malformed Authorization header")
        name, value = match.group(1), unquote(match.group(2))
        if name in params:
            raise LoginRefused(f"parameter {name} given twice")
        params[name] = value
        pos = match.end()
    return params


def base_string(method: str, scheme: str, host: str, path: str, params: Sequence[tuple[str, str]]) -> str:
    """METHOD & enc(scheme://host/path) & enc(sorted, encoded name=value pairs)."""
    host = host.lower()
    scheme = scheme.lower()
    if (scheme, host.rpartition(":")[2]) in (("http", "80"), ("https", "443")):
        host = host.rpartition(":")[0]
    pairs = sorted((enc(k), enc(v)) for k, v in params)
    normalized = "&".join(f"{k}={v}" for k, v in pairs)
    return "&".join((method.upper(), enc(f"{scheme}://{host}{path}"), enc(normalized)))


def signature(base: str, consumer_secret: str, token_secret: str) -> str:
    """base64(HMAC-SHA256(enc(consumer_secret) & enc(token_secret), base))."""
    key = f"{enc(consumer_secret)}&{enc(token_secret)}".encode()
    return base64.b64encode(hmac.new(key, base.encode(), hashlib.sha256).digest()).decode()


def account_host(account_id: str) -> str:
    """The host label of an account id: lowercase, `_` -> `-` (1234567_SB1 -> 1234567-sb1)."""
    return account_id.lower().replace("_", "-")


@dataclass
class TokenVerifier:
    """One account's integration record and access token, and the nonces already used."""

    account_id: str
    consumer_key: str
    consumer_secret: str
    token_id: str
    token_secret: str
    clock: Callable[[], float] = time.time
    seen: dict[tuple[str, str], float] = field(default_factory=dict)  # (token, nonce) -> timestamp

    def verify(
        self, method: str, scheme: str, host: str, path: str, query: Sequence[tuple[str, str]], header: str
    ) -> None:
        """Raise LoginRefused unless the request is signed by this account's token."""
        params = parse_header(header)
        self._check_account(params.get("realm"), host)
        missing = [name for name in REQUIRED if not params.get(name)]
        if missing:
            raise LoginRefused("missing " + ", ".join(missing))
        # NetSuite documents exactly these parameters; anything else (oauth_body_hash, ...) is
        # refused here (*unconfirmed* whether NetSuite ignores or refuses it).
        unknown = sorted(set(params) - set(REQUIRED) - {"realm"})
        if unknown:
            raise LoginRefused("unexpected parameters " + ", ".join(unknown))
        if params["oauth_signature_method"] != "HMAC-SHA256":
            raise LoginRefused(f"signature method {params['oauth_signature_method']} (only HMAC-SHA256)")
        if params["oauth_version"] != "1.0":
            raise LoginRefused("oauth_version must be 1.0")
        if not hmac.compare_digest(params["oauth_consumer_key"], self.consumer_key) or not hmac.compare_digest(
            params["oauth_token"], self.token_id
        ):
            raise LoginRefused("unknown consumer key or token")
        self._check_fresh(params["oauth_token"], params["oauth_nonce"], params["oauth_timestamp"])
        signed = [(k, v) for k, v in params.items() if k not in ("realm", "oauth_signature")] + list(query)
        expected = signature(base_string(method, scheme, host, path, signed), self.consumer_secret, self.token_secret)
        if not hmac.compare_digest(expected, params["oauth_signature"]):
            raise LoginRefused("signature mismatch")
        self.seen[(params["oauth_token"], params["oauth_nonce"])] = float(params["oauth_timestamp"])

    def _check_account(self, realm: str | None, host: str) -> None:
        if realm != self.account_id:  # case and separator matter: 1234567_sb1 or 1234567-SB1 fail
            raise LoginRefused(f"realm {realm!r} is not account {self.account_id}")
        name = host.lower().split(":")[0]
        if name.endswith(_HOST_SUFFIX) and name[: -len(_HOST_SUFFIX)] != account_host(self.account_id):
            raise LoginRefused(f"host {host} belongs to another account")

    def _check_fresh(self, token: str, nonce: str, raw_timestamp: str) -> None:
        if len(nonce) < MIN_NONCE:
            raise LoginRefused(f"nonce shorter than {MIN_NONCE} characters")
        if not raw_timestamp.isdigit():
            raise LoginRefused("timestamp is not whole seconds")
        now = self.clock()
        if abs(now - int(raw_timestamp)) > TIMESTAMP_WINDOW:
            raise LoginRefused("timestamp outside the accepted window")
        for key, stamp in list(self.seen.items()):
            if stamp < now - 2 * TIMESTAMP_WINDOW:
                del self.seen[key]
        if (token, nonce) in self.seen:
            raise LoginRefused("nonce already used")
