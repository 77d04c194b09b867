"""A fact as stored: the derivation view in clear, the original body sealed.

``FactRecorded.body`` holds the *derivation view*: what the projector needs and nothing that
identifies a child. No ``child.ids``, no names, no exact date of birth (only ``born`` as
``YYYY-MM-01``, which gives the forum's age bands on a month's last day), no free text
(``worker_role``, compared for equality only, becomes a keyed digest; the other free-text
fields are dropped; ``source.system`` too). Record references, codes, times and postcode
districts stay: the figures group by them (docs/privacy.md lists them as quasi-identifiers).

The original body, as the agency sent it, is in ``FactRecorded.sealed``: part ``body`` under
the key of the fact's child (``records`` for facts about no child), and for
``identity.linked``/``identity.unlinked`` part ``other``, ``payload.other``, under the key of
the other side's child, so erasing either child leaves nothing of it readable.
``body_digest`` is a keyed digest of the canonical original, for the intake's "same event id,
different content" check. Facts stored before sealing have neither, and their body is the
original (``original_body`` returns it).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Mapping
from typing import Any, Protocol, TypeVar

import orjson

from hub.domain.events import FactRecorded, MessageRejected

E = TypeVar("E", FactRecorded, MessageRejected)
RECORDS = "records"
PSEUDONYMS = "pseudonyms"
IDENTITY = ("identity.linked", "identity.unlinked")
AMENDMENTS = ("record.corrected", "record.retracted")
FREE_TEXT = frozenset({"legal_status", "reason", "provider", "offence_group"})
"""Payload fields holding free text (the contract's ``Text``), dropped from the view."""
COMPARED = frozenset({"worker_role"})
"""Free text the figures compare for equality only: a keyed digest in the view."""
_ENVELOPE = ("event_id", "event_type", "schema_version", "occurred_at")


class Seals(Protocol):
    """What sealing needs of the keyring (``hub.service.ports.Keyring``)."""

    def seal(self, owner: str, part: str, aad: bytes, plaintext: bytes) -> dict[str, Any]: ...

    def unseal(self, sealed: Mapping[str, Any], aad: bytes) -> bytes | None: ...


class Digests:
    """Keyed digests made with a key derived from the hub's pseudonym secret."""

    def __init__(self, secret: bytes) -> None:
        self._body = hmac.digest(secret, b"body-digest", hashlib.sha256)
        self._text = hmac.digest(secret, b"view-text", hashlib.sha256)

    def body(self, body: Mapping[str, Any]) -> str:
        """The digest of a body's canonical JSON: equal bodies, equal digests."""
        canonical = orjson.dumps(body, option=orjson.OPT_SORT_KEYS)
        return hmac.digest(self._body, canonical, hashlib.sha256).hex()

    def text(self, value: str) -> str:
        return "h:" + hmac.digest(self._text, value.encode(), hashlib.sha256)[:16].hex()


def coarse_born(date_of_birth: str) -> str:
    """``YYYY-MM-DD`` -> ``YYYY-MM-01``."""
    return f"{date_of_birth[:7]}-01"


def view(body: Mapping[str, Any], digests: Digests) -> dict[str, Any]:
    """The derivation view of an agency's event body (see the module's docstring)."""
    shown: dict[str, Any] = {key: body[key] for key in _ENVELOPE if key in body}
    source = body.get("source")
    if isinstance(source, Mapping) and "agency" in source:
        shown["source"] = {"agency": source["agency"]}
    child = body.get("child")
    if isinstance(child, Mapping):
        born = child.get("date_of_birth")
        shown["child"] = {"born": coarse_born(born)} if isinstance(born, str) else {}
    payload = body.get("payload")
    if isinstance(payload, Mapping):
        event_type = body.get("event_type")
        shown["payload"] = {} if event_type in IDENTITY else _payload_view(payload, digests)
    return shown


def _payload_view(payload: Mapping[str, Any], digests: Digests) -> dict[str, Any]:
    shown: dict[str, Any] = {}
    for key, value in payload.items():
        if key in FREE_TEXT or key == "other":
            continue
        if key in COMPARED and isinstance(value, str):
            shown[key] = digests.text(value)
        elif key == "replacement" and isinstance(value, Mapping):
            shown[key] = _payload_view(value, digests)
        else:
            shown[key] = value
    return shown


def _aad(event_id: str) -> bytes:
    return event_id.encode()


def seal_fact(
    fact: FactRecorded, keyring: Seals, digests: Digests, owner: str | None = None
) -> FactRecorded:
    """The fact as stored: its body replaced by the view, the original sealed under
    ``owner``'s key (default: its child's, else ``records``)."""
    body = fact.body
    owner = owner or fact.child_id or RECORDS
    aad = _aad(fact.event_id)
    sealed = []
    own = body
    if fact.event_type in IDENTITY and fact.other_child_id:
        payload = dict(body.get("payload") or {})
        other = payload.pop("other", None)
        own = {**body, "payload": payload}
        sealed.append(keyring.seal(fact.other_child_id, "other", aad, orjson.dumps(other)))
    sealed.insert(0, keyring.seal(owner, "body", aad, orjson.dumps(own)))
    return _with(fact, body=view(body, digests), sealed=sealed, body_digest=digests.body(body))


def _with(event: E, **changes: Any) -> E:
    """A copy of a frozen event with some fields changed: ``dataclasses.replace`` without
    running the library's checks again, which cost more than sealing (the ids are unchanged)."""
    copy = object.__new__(type(event))
    state = {**event.__dict__, **changes}
    for name, value in state.items():
        object.__setattr__(copy, name, value)
    return copy


def owners_of(facts: Iterable[FactRecorded]) -> set[str]:
    """The keyring owners sealing these facts needs."""
    owners: set[str] = set()
    for fact in facts:
        owners.add(fact.child_id or RECORDS)
        if fact.event_type in IDENTITY and fact.other_child_id:
            owners.add(fact.other_child_id)
    return owners


def original_body(fact: FactRecorded, keyring: Seals) -> dict[str, Any] | None:
    """The body as the agency sent it, merged back from its sealed parts; None when its
    child's key was shredded (erased). ``payload.other`` of an identity fact is left out when
    only the other side was erased. A fact stored before sealing: its body, as stored."""
    if not fact.sealed:
        return fact.body
    aad = _aad(fact.event_id)
    parts = {part["p"]: part for part in fact.sealed}
    own = keyring.unseal(parts["body"], aad)
    if own is None:
        return None
    body: dict[str, Any] = orjson.loads(own)
    if "other" in parts and (other := keyring.unseal(parts["other"], aad)) is not None:
        body["payload"] = {**body.get("payload", {}), "other": orjson.loads(other)}
    return body


def reject_owner(rejection: MessageRejected) -> str:
    """A rejected message's own key. Not its child's: a message may name several children
    (``identity.linked``), and erasing one of them must take the message, never another
    child's key; nor a key shared with other messages, which erasing one would take too."""
    return f"reject/{rejection.originator_id}"


def seal_reject(
    rejection: MessageRejected,
    data: bytes,
    owner: str,
    named: list[str],
    keyring: Seals,
) -> MessageRejected:
    """The reject as stored: the message sealed under ``owner`` (its own key,
    ``reject_owner``), and ``named``, the registry ids of the identifiers it carried, so
    erasure and subject access find it."""
    sealed = keyring.seal(owner, "message", str(rejection.originator_id).encode(), data)
    return _with(rejection, raw_base64="", sealed=[sealed], named=named)


def original_message(rejection: MessageRejected, keyring: Seals) -> bytes | None:
    """The rejected message's bytes as sent; None when erased. Legacy rejects: from
    ``raw_base64``."""
    if not rejection.sealed:
        import base64

        return base64.b64decode(rejection.raw_base64)
    return keyring.unseal(rejection.sealed[0], str(rejection.originator_id).encode())


def identifier_keys(data: bytes) -> list[str]:
    """The identifier keys (``nhs_number:...``) a message carries, read leniently (a reject
    may be anything): ``child.ids`` and, for identity events, ``payload.other.ids``."""
    try:
        body = orjson.loads(data)
    except orjson.JSONDecodeError:
        return []
    if not isinstance(body, dict):
        return []
    keys: list[str] = []
    children = [body.get("child")]
    payload = body.get("payload")
    if isinstance(payload, dict):
        children.append(payload.get("other"))
    for child in children:
        ids = child.get("ids") if isinstance(child, dict) else None
        if not isinstance(ids, dict):
            continue
        for kind in ("nhs_number", "la_child_id", "police_person_id", "upn"):
            value = ids.get(kind)
            if isinstance(value, str) and value.strip():
                keys.append(f"{kind}:{_normalised(kind, value)}")
    return keys


def _normalised(kind: str, value: str) -> str:
    value = value.strip()
    if kind == "nhs_number":
        return value.replace(" ", "").replace("-", "")
    return value.upper() if kind == "upn" else value
