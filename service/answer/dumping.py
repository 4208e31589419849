"""A marshmallow schema's dump, compiled once into plain functions for the hot paths.

The schemas in ``service.api.schemas`` stay the API's contract (the OpenAPI document is made from them).
``Schema.dump`` walks every field of every nested object through several layers of calls; an answer
has a few hundred of them. ``compile_dump(schema)`` reads the schema once and returns a function
that builds the same dict: plain code for the common field types (String, Integer, Boolean,
Nested and lists of Nested), each other field's own ``_serialize`` called directly (the custom
Money, Ratio, MoneyMap ... fields), and the schema's own ``dump`` wherever something is unusual
(dump hooks, a custom accessor, a field without attribute). ``tests/test_answers.py`` checks many
varied answers against the schema's dump. Used by ``service.answer.answers`` alone: ``bench/dump.py`` measures
marshmallow's own dump at about 2.5 times this one's time per answer, the largest step of an answer no
cache holds (``docs/benchmarks.md``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from marshmallow import Schema, fields
from marshmallow.decorators import POST_DUMP, PRE_DUMP
from marshmallow.utils import missing

Dump = Callable[[Any], Any]
Convert = Callable[[Any, str, Any], Any]


def _value(obj: Any, key: str) -> Any:
    """``marshmallow.utils.get_value`` for a plain key (item first, then attribute)."""
    if type(obj) is dict:
        return obj[key] if key in obj else getattr(obj, key, missing)
    try:
        return obj[key]
    except (KeyError, IndexError, TypeError, AttributeError):
        return getattr(obj, key, missing)


def _string(value: Any, attr: str, obj: Any) -> str | None:
    return None if value is None else str(value)


def _integer(value: Any, attr: str, obj: Any) -> int | None:
    return None if value is None else int(value)


def _converter(field: fields.Field) -> Convert | None:
    """The function that ``field.serialize`` amounts to, given the value; None if it cannot be known."""
    kind = type(field)
    if kind is fields.String:
        return _string
    if kind is fields.Integer and not field.as_string:
        return _integer
    if kind is fields.Boolean:
        serialize = field._serialize
        return lambda value, attr, obj: (
            value if value is None or value is True or value is False else serialize(value, attr, obj)
        )
    if kind is fields.Nested and isinstance(field.schema, Schema):
        nested = compile_dump(field.schema)
        return lambda value, attr, obj: None if value is None else nested(value)
    if kind is fields.List and type(field.inner) is fields.Nested and isinstance(field.inner.schema, Schema):
        one = compile_dump(field.inner.schema)
        return lambda value, attr, obj: None if value is None else [one(item) for item in value]
    return field._serialize


def _plain(schema: Schema) -> bool:
    """Whether the schema dumps by the rules compiled here (no hooks, the standard accessors)."""
    return (
        not schema._hooks[PRE_DUMP]
        and not schema._hooks[POST_DUMP]
        and type(schema).get_attribute is Schema.get_attribute
        and all(
            f._CHECK_ATTRIBUTE and type(f).get_value is fields.Field.get_value and f.dump_default is missing
            for f in schema.dump_fields.values()
        )
        and not any("." in (f.attribute or name) for name, f in schema.dump_fields.items())
    )


def compile_dump(schema: Schema) -> Dump:
    """A function giving what ``schema.dump(obj)`` gives, for the schema's ``many`` setting."""
    if not _plain(schema):
        return schema.dump
    plan = []
    for name, field in schema.dump_fields.items():
        convert = _converter(field)
        plan.append((field.attribute or name, field.data_key if field.data_key is not None else name, convert))

    def one(obj: Any) -> dict[str, Any]:
        out = {}
        plain = type(obj) is dict  # nearly every object dumped: ``_value`` written out, a call less per field
        for attr, key, convert in plan:
            value = (obj[attr] if attr in obj else getattr(obj, attr, missing)) if plain else _value(obj, attr)
            if value is not missing:
                out[key] = convert(value, attr, obj)
        return out

    if schema.many:
        return lambda objs: None if objs is None else [one(obj) for obj in objs]
    return one
