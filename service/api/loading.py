"""A marshmallow schema's load, compiled once into a plain function for the request every calculation starts from.

``Schema.load`` walks each field through several layers (an error store, a getter closure per field, the
partial and unknown options, the hooks looked up by name): for ``CalculateRequestSchema`` that was a sixth of
what a calculation does besides the framework's own work (``docs/benchmarks.md``, issue 20). ``compile_load``
reads the schema once and returns a function that gives what ``Schema.load`` gives for a request that loads:
each field's own ``deserialize`` (its validators, defaults and messages), then the schema's own
``validates_schema`` and ``post_load`` methods. Whatever does not load (a field's refusal, a missing or
unknown field, a body that is not an object, a schema validator's refusal) is loaded again by ``Schema.load``
itself, so every refusal, its message and its shape, is marshmallow's. A schema with anything else (pre-load
or field hooks, nested fields, dotted attributes, unknown fields allowed) is not compiled: its ``load`` is
marshmallow's. ``tests/sweep/test_loading.py`` holds the two equal on the sweep's requests and on refused ones.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields
from marshmallow.decorators import POST_LOAD, PRE_LOAD, VALIDATES, VALIDATES_SCHEMA
from marshmallow.utils import missing

Load = Callable[[Any], Any]


def _simple_hooks(schema: Schema, tag: str) -> list[Callable[..., Any]] | None:
    """The schema's ``tag`` hooks as bound methods, if each takes one object alone (no collection, no original data)."""
    hooks = schema._hooks[tag]
    if any(many or options.get("pass_original") for _, many, options in hooks):
        return None
    return [getattr(schema, name) for name, _, _ in hooks]


def _compilable(schema: Schema) -> bool:
    return (
        not schema.many
        and not schema.partial
        and schema.unknown == RAISE
        and not schema._hooks[PRE_LOAD]
        and not schema._hooks[VALIDATES]
        and all(
            not isinstance(field, (fields.Nested, fields.Pluck, fields.List, fields.Tuple, fields.Dict))
            and "." not in (field.attribute or name)
            for name, field in schema.load_fields.items()
        )
    )


def compile_load(schema: Schema, plain: Load) -> Load:
    """A function giving what ``schema.load(data)`` gives; ``plain``: the schema's own load, for what does not load."""
    validators, processors = _simple_hooks(schema, VALIDATES_SCHEMA), _simple_hooks(schema, POST_LOAD)
    if not _compilable(schema) or validators is None or processors is None:
        return plain
    plan = [
        (field.data_key if field.data_key is not None else name, field.attribute or name, field.deserialize)
        for name, field in schema.load_fields.items()
    ]
    known = frozenset(key for key, _, _ in plan)
    options = {"partial": schema.partial, "many": False, "unknown": schema.unknown}  # as Schema.load passes them

    def load(data: Any) -> Any:
        if type(data) is not dict or not known.issuperset(data):
            return plain(data)  # not an object, or an unknown field: marshmallow says which
        out = {}
        try:
            for key, attr, deserialize in plan:
                value = deserialize(data.get(key, missing), key, data)
                if value is not missing:
                    out[attr] = value
            for validator in validators:
                validator(out, **options)
            result: Any = out
            for processor in processors:
                result = processor(result, **options)
        except ValidationError:
            return plain(data)  # a refusal: marshmallow's own, every field's message in its shape
        return result

    return load


class CompiledLoad(Schema):
    """A schema whose plain ``load`` (no ``many``, ``partial`` or ``unknown`` of the call's own) is compiled once."""

    def load(self, data: Any, *, many: bool | None = None, partial: Any = None, unknown: str | None = None) -> Any:
        if many is None and partial is None and unknown in (None, self.unknown):
            compiled = self.__dict__.get("_compiled_load")
            if compiled is None:
                compiled = self.__dict__["_compiled_load"] = compile_load(self, super().load)
            return compiled(data)
        return super().load(data, many=many, partial=partial, unknown=unknown)
