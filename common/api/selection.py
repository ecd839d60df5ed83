"""`?fields=id,name,matter{id,display_number}`: the fields of each object in `data` (Clio's habit).

Applied once, by FirmAPIView, to every successful GET. Field names are checked against the
output serializer that produced `data` (DRF keeps it on `serializer.data`), so an unknown name
is a 400 even on an empty page; where no serializer describes a level (a dict built by a
method field), the keys of the objects themselves are the known names.
"""

from collections.abc import Iterable
from typing import Any

from rest_framework import serializers

from common.exceptions import ApplicationError

# name -> the nested selection, or None for the whole value
Selection = dict[str, "Selection | None"]

PARAMETER = "fields"


class InvalidFieldSelection(ApplicationError):
    """An unknown field name, or a `fields` value that does not parse."""

    def __init__(self, message: str) -> None:
        super().__init__(message, fields={PARAMETER: [message]})


def parse(raw: str) -> Selection:
    """`a,b{c,d{e}}` as {"a": None, "b": {"c": None, "d": {"e": None}}}."""
    selection, end = _parse_list(raw, 0, nested=False)
    if end != len(raw):  # pragma: no cover - _parse_list consumes everything at the top
        raise InvalidFieldSelection(f"Unexpected '{raw[end]}' in fields.")
    if not selection:
        raise InvalidFieldSelection("Name at least one field, e.g. fields=id,name.")
    return selection


def _parse_list(raw: str, position: int, *, nested: bool) -> tuple[Selection, int]:
    selection: Selection = {}
    name = ""
    while position < len(raw):
        char = raw[position]
        if char == ",":
            if name.strip():
                selection.setdefault(name.strip(), None)
            name = ""
        elif char == "{":
            if not name.strip():
                raise InvalidFieldSelection("A '{' in fields must follow a field name.")
            sub, position = _parse_list(raw, position + 1, nested=True)
            selection[name.strip()] = sub
            name = ""
        elif char == "}":
            if not nested:
                raise InvalidFieldSelection("Unbalanced '}' in fields.")
            if name.strip():
                selection.setdefault(name.strip(), None)
            if not selection:
                raise InvalidFieldSelection("Name the fields to show inside '{}'.")
            return selection, position
        else:
            name += char
        position += 1
    if nested:
        raise InvalidFieldSelection("Unbalanced '{' in fields.")
    if name.strip():
        selection.setdefault(name.strip(), None)
    return selection, position


# Fields whose value may be an object although no serializer describes it.
_MAY_NEST = (
    serializers.SerializerMethodField,
    serializers.DictField,
    serializers.JSONField,
    serializers.ListField,
    serializers.ReadOnlyField,
)


def _objects(data: Any) -> list[dict[str, Any]]:
    items = data if isinstance(data, list) else [data]
    return [item for item in items if isinstance(item, dict)]


def _serializer_of(data: Any) -> serializers.BaseSerializer | None:  # type: ignore[type-arg]
    serializer = getattr(data, "serializer", None)  # ReturnDict / ReturnList keep it
    return _unwrap(serializer)


def _unwrap(field: Any) -> serializers.BaseSerializer | None:  # type: ignore[type-arg]
    if isinstance(field, serializers.ListSerializer):
        field = field.child
    return field if isinstance(field, serializers.Serializer) else None


def _known(serializer: Any, objects: Iterable[dict[str, Any]]) -> set[str] | None:
    """Names the level can show; None when nothing says (no serializer and no objects)."""
    if serializer is not None:
        return {field.field_name for field in serializer._readable_fields}
    names: set[str] = set()
    seen = False
    for item in objects:
        seen = True
        names.update(item)
    return names if seen else None


def _unknown(
    selection: Selection, serializer: Any, objects: list[dict[str, Any]], prefix: str
) -> list[str]:
    known = _known(serializer, objects)
    unknown: list[str] = []
    for name, sub in selection.items():
        if known is not None and name not in known:
            unknown.append(prefix + name)
            continue
        if sub is None:
            continue
        field = serializer.fields.get(name) if serializer is not None else None
        nested = _unwrap(field)
        values = [item[name] for item in objects if item.get(name) is not None]
        nested_objects = [obj for value in values for obj in _objects(value)]
        plain = field is not None and nested is None and not isinstance(field, _MAY_NEST)
        if plain or (nested is None and values and not nested_objects):
            # A plain value (a string, a number) has no fields to choose.
            unknown.extend(f"{prefix}{name}.{sub_name}" for sub_name in sub)
            continue
        unknown += _unknown(sub, nested, nested_objects, f"{prefix}{name}.")
    return unknown


def _apply(data: Any, selection: Selection) -> Any:
    if isinstance(data, list):
        return [_apply(item, selection) for item in data]
    if not isinstance(data, dict):
        return data
    return {
        name: value if selection[name] is None else _apply(value, selection[name])  # type: ignore[arg-type]
        for name, value in data.items()
        if name in selection
    }


def select_fields(data: Any, raw: str) -> Any:
    """`data` (an object or a list of them) with only the selected fields, in their order.

    Raises InvalidFieldSelection (a 400) naming every unknown field.
    """
    selection = parse(raw)
    unknown = _unknown(selection, _serializer_of(data), _objects(data), "")
    if unknown:
        raise InvalidFieldSelection("Unknown fields: " + ", ".join(unknown))
    return _apply(data, selection)
