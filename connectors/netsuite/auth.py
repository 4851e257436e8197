"""Account id rules and Token-Based Authentication signing (authlib's OAuth 1.0a client, HMAC-SHA256)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from typing import Any

from authlib.oauth1 import ClientAuth
from authlib.oauth1.rfc5849.signature import generate_signature_base_string
from authlib.oauth1.rfc5849.util import escape
from yarl import URL

from connectors.errors import ConfigError

SYSTEM = "netsuite"
HMAC_SHA256 = "HMAC-SHA256"  # NetSuite accepts only this method (HMAC-SHA1 is gone since 2023.1)
HOST_SUFFIX = ".suitetalk.api.netsuite.com"
_ACCOUNT = re.compile(r"^[A-Za-z0-9]+(?:[_-][A-Za-z0-9]+)?$")


def check_account(account_id: str) -> str:
    """The account id trimmed, or ConfigError when it cannot be one (1234567, 1234567_SB1, TSTDRV123)."""
    account_id = (account_id or "").strip()
    if not _ACCOUNT.match(account_id):
        raise ConfigError(
            SYSTEM,
            f"NETSUITE_ACCOUNT_ID {account_id!r} is not an account id "
            "(digits, and for a sandbox a suffix such as _SB1)",
        )
    return account_id


def realm(account_id: str) -> str:
    """The OAuth realm: the account id uppercased with `-` -> `_` (1234567-sb1 -> 1234567_SB1)."""
    return check_account(account_id).upper().replace("-", "_")


def host_label(account_id: str) -> str:
    """The account's host label: lowercased with `_` -> `-` (1234567_SB1 -> 1234567-sb1)."""
    return check_account(account_id).lower().replace("_", "-")


def default_base_url(account_id: str) -> str:
    """https://{account}.suitetalk.api.netsuite.com (Oracle: better read it from Company Information)."""
    return f"https://{host_label(account_id)}.suitetalk.api.netsuite.com"


def check_host(account_id: str, base_url: str) -> None:
    """ConfigError when NETSUITE_BASE_URL is another account's SuiteTalk host than NETSUITE_ACCOUNT_ID's.

    NetSuite signs the realm (1234567_SB1) and routes on the host (1234567-sb1...): the two must
    name one account, or every request is refused as INVALID_LOGIN.
    """
    host = URL(base_url).host or ""
    if host.endswith(HOST_SUFFIX):
        label = host[: -len(HOST_SUFFIX)]
        if label != host_label(account_id):
            raise ConfigError(
                SYSTEM,
                f"NETSUITE_BASE_URL {base_url!r} is account {label.upper().replace('-', '_')}'s host but "
                f"NETSUITE_ACCOUNT_ID is {account_id!r}: take both from Setup > Company > Company Information "
                f"(the host would be {host_label(account_id)}{HOST_SUFFIX})",
            )


def default_app_url(account_id: str) -> str:
    """The account's NetSuite UI, for links to records."""
    return f"https://{host_label(account_id)}.app.netsuite.com"


def _sign_hmac_sha256(client: ClientAuth, request: Any) -> str:
    """authlib's signature hook for HMAC-SHA256 over authlib's own base string."""
    base = generate_signature_base_string(request)
    key = f"{escape(client.client_secret or '')}&{escape(client.token_secret or '')}"
    return base64.b64encode(hmac.new(key.encode(), base.encode(), hashlib.sha256).digest()).decode()


class _TokenAuth(ClientAuth):
    """authlib's OAuth 1.0a client with HMAC-SHA256 registered (on this subclass only)."""

    SIGNATURE_METHODS = {**ClientAuth.SIGNATURE_METHODS, HMAC_SHA256: _sign_hmac_sha256}


class Signer:
    """Signs each request for one account's access token; every call gets a new nonce and timestamp."""

    def __init__(
        self, account_id: str, consumer_key: str, consumer_secret: str, token_id: str, token_secret: str
    ) -> None:
        self.realm = realm(account_id)
        self._auth = _TokenAuth(
            consumer_key,
            consumer_secret,
            token=token_id,
            token_secret=token_secret,
            signature_method=HMAC_SHA256,
            realm=self.realm,
        )

    def authorization(self, method: str, url: str) -> str:
        """The Authorization header for `method url` (the URL's query is signed; a JSON body is not).

        The body is left out on purpose: authlib would add oauth_body_hash for a non-form body,
        which is not among the parameters NetSuite documents.
        """
        _, headers, _ = self._auth.sign(method, url, {}, b"")
        return str(headers["Authorization"])
