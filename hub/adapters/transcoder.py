"""An orjson transcoder for the event store, in the library's tagged format.

orjson writes datetimes natively as strings, so they would come back as strings; they are
passed through to ``default`` and tagged as the library's JSONTranscoder tags them
(``{"_type_": "datetime_iso", "_data_": ...}``), so either transcoder reads the other's rows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any
from uuid import UUID

import orjson
from eventsourcing.persistence import Transcoder, TranscodingNotRegisteredError

_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME
_TAG = b'"_type_"'


def _encode(obj: Any) -> Any:
    if isinstance(obj, dt.datetime):
        return {"_type_": "datetime_iso", "_data_": obj.isoformat()}
    if isinstance(obj, Decimal):
        return {"_type_": "decimal_str", "_data_": str(obj)}
    if isinstance(obj, (set, frozenset, tuple)):
        return list(obj)
    raise TranscodingNotRegisteredError(f"Object of type {type(obj)} is not serializable")


_DECODERS: dict[str, Callable[[str], Any]] = {
    "datetime_iso": dt.datetime.fromisoformat,
    "decimal_str": Decimal,
    "uuid_hex": UUID,
}


def _decode(obj: Any) -> Any:
    if isinstance(obj, dict):
        if len(obj) == 2 and "_type_" in obj and "_data_" in obj:
            return _DECODERS[obj["_type_"]](obj["_data_"])
        return {key: _decode(value) for key, value in obj.items()}
    if isinstance(obj, list):
        return [_decode(value) for value in obj]
    return obj


class OrjsonTranscoder(Transcoder):
    """Encodes event state with orjson; UUIDs inside state are written as strings."""

    def encode(self, obj: Any) -> bytes:
        return orjson.dumps(obj, default=_encode, option=_OPTIONS)

    def decode(self, data: bytes) -> Any:
        state = orjson.loads(data)
        return _decode(state) if _TAG in data else state
