"""Command-line values converted without Pydantic, so a read command starts fast.

Typer 0.29 converts every parameter through a Pydantic TypeAdapter built at parse time: importing
Pydantic for it is 0.1 s of CPU in every command (`python -X importtime`), a tenth of `show` or
`trending` on a ten-year lake and a quarter of `query "select count(*) ..."`. The kinds paperlake's
commands take (text, flags, whole numbers and numbers with optional bounds, paths) are converted
here by the same rules and with the same messages; any other kind (lists, tuples, choices, files)
goes to Typer's own converter, which imports Pydantic when it is needed.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, get_args, get_origin

import typer.core
from typer import _coercion
from typer._click.exceptions import BadParameter
from typer._param_types import coerce_cli_path, lenient_issubclass, routes_to_path

# Pydantic's words for a flag given as text (an environment variable such as PAPERLAKE_DEBUG=1).
_TRUE_WORDS = {"1", "on", "t", "true", "y", "yes"}
_FALSE_WORDS = {"0", "off", "f", "false", "n", "no"}


@dataclass(frozen=True)
class _PlainParam(_coercion.RuntimeParam):
    convert: Callable[[Any, Any, Any], Any]

    def _coerce_value(self, value: Any, param, ctx) -> Any:
        try:
            return self.convert(value, param, ctx)
        except ValueError as error:
            raise BadParameter(str(error), ctx=ctx, param=param) from None


def _text(value: Any, param, ctx) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _flag(value: Any, param, ctx) -> bool:
    if isinstance(value, bool):
        return value
    word = str(value).strip().lower()
    if word in _TRUE_WORDS or word in _FALSE_WORDS:
        return word in _TRUE_WORDS
    if word == "":
        return False
    raise ValueError("Input should be a valid boolean, unable to interpret input")


def _number(kind: type, low: float | None, high: float | None) -> Callable[[Any, Any, Any], Any]:
    def convert(value: Any, param, ctx):
        number = _whole(value) if kind is int else _real(value)
        if low is not None and number < low:
            raise ValueError(f"Input should be greater than or equal to {low}")
        if high is not None and number > high:
            raise ValueError(f"Input should be less than or equal to {high}")
        return number

    return convert


def _whole(value: Any) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    text = str(value).strip()
    try:
        return int(text)
    except ValueError:
        pass
    try:
        real = float(text)
    except ValueError:
        raise ValueError("Input should be a valid integer, unable to parse string as an integer") from None
    if not real.is_integer():
        raise ValueError("Input should be a valid integer, got a number with a fractional part")
    return int(real)


def _real(value: Any) -> float:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    try:
        return float(str(value).strip())
    except ValueError:
        raise ValueError("Input should be a valid number, unable to parse string as a number") from None


def _path(path_type: type, info) -> Callable[[Any, Any, Any], Any]:
    def convert(value: Any, param, ctx):
        as_path = value if isinstance(value, path_type) else path_type(value.decode() if isinstance(value, bytes) else value)
        return coerce_cli_path(as_path, info, path_type=path_type, param=param, ctx=ctx)

    return convert


def _each(convert: Callable[[Any, Any, Any], Any]) -> Callable[[Any, Any, Any], Any]:
    return lambda values, param, ctx: [convert(v, param, ctx) for v in (values if isinstance(values, (list, tuple)) else [values])]


def _plain_converter(annotation: Any, info) -> Callable[[Any, Any, Any], Any] | None:
    """The converter for a plain kind (or a list of one), or None for anything Typer must convert itself."""
    if get_origin(annotation) is list and len(get_args(annotation)) == 1:
        item = _plain_converter(get_args(annotation)[0], info)
        return _each(item) if item is not None else None
    if info.parser is not None or getattr(info, "clamp", False):
        return None
    if annotation is str and not routes_to_path(annotation, info):
        return _text
    if annotation is bool:
        return _flag
    if annotation in (int, float):
        return _number(annotation, info.min, info.max)
    if lenient_issubclass(annotation, Path) and info.path_type in (None, annotation):
        return _path(annotation, info)
    return None


_typer_build_runtime_param = _coercion.build_runtime_param


def build_runtime_param(descriptor: _coercion.TypeDescriptor) -> _coercion.RuntimeParam:
    convert = None if descriptor.file_annotation is not None else _plain_converter(descriptor.annotation, descriptor.parameter_info)
    if convert is None:
        return _typer_build_runtime_param(descriptor)
    return _PlainParam(descriptor.parameter_info, descriptor.annotation, convert)


typer.core.build_runtime_param = build_runtime_param
