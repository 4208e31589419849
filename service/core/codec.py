"""JSON in and out of the service, one encoder for all of it, and templates that read an answer's keys.

JSON is written by orjson (a well-kept library, about six times faster than the standard library's
encoder on an answer, ``docs/benchmarks.md``): keys sorted, Chinese readable (UTF-8, never ``\\u``
escapes), one final newline. The app's JSON provider uses the same encoder, so ``jsonify`` and the
answers' bytes are written alike. Types JSON has no form for are written as text, as Flask's own provider
writes them (a Decimal as its digits).

The pages render decoded answers: plain dicts read with attribute syntax (``line.amount``). Jinja tries
the attribute first and then the key, and on a dict every key read raised and caught an AttributeError;
``Environment.getattr`` here reads the key directly where Jinja would have ended up reading it (the key
exists and ``dict`` has no attribute of that name), so templates read exactly what they read before.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import orjson
from flask.json.provider import JSONProvider
from flask.templating import Environment as FlaskEnvironment

OPTIONS = orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS


def _text(value: Any) -> Any:
    """What orjson cannot write itself: a Decimal as its digits, a markup or other object as its text."""
    if isinstance(value, Decimal):
        return str(value)
    if hasattr(value, "__html__"):
        return str(value.__html__())
    if isinstance(value, (set, frozenset)):
        return sorted(value)
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def encode(data: Any) -> bytes:
    """JSON bytes as the service writes them everywhere: sorted keys, UTF-8, a final newline (as Flask's)."""
    return orjson.dumps(data, default=_text, option=OPTIONS | orjson.OPT_APPEND_NEWLINE)


def encode_part(data: Any) -> bytes:
    """JSON bytes of a part of a document (no final newline), to be joined into one as ``orjson.Fragment``."""
    return orjson.dumps(data, default=_text, option=OPTIONS)


def decode(data: bytes | str) -> Any:
    return orjson.loads(data)


class Provider(JSONProvider):
    """Flask's JSON provider (``jsonify``, ``request.get_json``) on the same encoder."""

    mimetype = "application/json"

    def dumps(self, obj: Any, **kwargs: Any) -> str:
        return encode_part(obj).decode()

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        return orjson.loads(s)

    def response(self, *args: Any, **kwargs: Any) -> Any:
        obj = self._prepare_response_obj(args, kwargs)
        return self._app.response_class(encode(obj), mimetype=self.mimetype)


_DICT_ATTRIBUTES = frozenset(dir(dict))


class Environment(FlaskEnvironment):
    """The app's Jinja environment: a dict's keys read as attributes without a caught error each time."""

    def getattr(self, obj: Any, attribute: str) -> Any:
        if type(obj) is dict and attribute not in _DICT_ATTRIBUTES:
            try:
                return obj[attribute]
            except KeyError:
                pass
        return super().getattr(obj, attribute)
