"""The JSON Schema of the report, and a validator for reports and ndjson lines.

The schema file (``schema.json``, package data) is the machine-readable form of the
contract in the docs: tests validate every report they produce against it, and users can
point any draft 2020-12 validator at it.

Our validator is stricter than a generic one in two ways, both so that it means what the
contract says rather than what Python's defaults happen to allow:

* ``integer`` accepts only JSON integers. Draft 2020-12 also accepts ``1.0``; a report
  that writes ``1.0`` would break byte-stable golden files and naive readers.
* ``pattern`` uses ECMA-262 end anchoring, as the JSON Schema spec requires. Python's
  ``re`` lets ``$`` match before a final newline, so ``"ab\\n"`` would pass as hex.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator, Mapping
from functools import cache
from importlib import resources
from typing import Any, NamedTuple

from jsonschema import Draft202012Validator, validators
from jsonschema.exceptions import ValidationError, best_match
from jsonschema.protocols import Validator

__all__ = [
    "SCHEMA_VERSION",
    "ReportSchemaError",
    "SchemaIssue",
    "load_schema",
    "validate_connection",
    "validate_report",
]

#: The ``schema_version`` this schema describes.
SCHEMA_VERSION = 1

#: How many issues ``ReportSchemaError`` spells out by default.
DEFAULT_MAX_ERRORS = 5


class SchemaIssue(NamedTuple):
    """One place where a document breaks the schema."""

    path: str  # JSON path into the document, e.g. "$.connections[0].state"
    message: str


class ReportSchemaError(ValueError):
    """A report (or ndjson connection) does not follow the schema.

    ``issues`` holds the first few problems, ``total`` how many there were in all, so a
    failing test names the exact paths instead of a single opaque message.
    """

    def __init__(self, issues: tuple[SchemaIssue, ...], total: int) -> None:
        self.issues = issues
        self.total = total
        lines = [f"report does not match the tlslens JSON schema ({total} error(s)):"]
        lines += [f"  {issue.path}: {issue.message}" for issue in issues]
        if total > len(issues):
            lines.append(f"  ... and {total - len(issues)} more")
        super().__init__("\n".join(lines))


@cache
def _schema() -> dict[str, Any]:
    text = resources.files("tlslens.report").joinpath("schema.json").read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


def load_schema() -> dict[str, Any]:
    """Return the report schema as a dict (a fresh copy: callers may change it freely)."""
    return copy.deepcopy(_schema())


@cache
def _ecma_regex(pattern: str) -> re.Pattern[str]:
    """Compile *pattern* so that ``$`` matches only at the very end, as in ECMA-262.

    Every ``$`` outside a character class and not escaped becomes ``\\Z``. The schema's
    patterns use ``[0-9]`` rather than ``\\d`` so that digits mean ASCII digits in every
    engine.
    """
    out: list[str] = []
    escaped = in_class = False
    for ch in pattern:
        if escaped:
            escaped = False
        elif ch == "\\":
            escaped = True
        elif in_class:
            in_class = ch != "]"
        elif ch == "[":
            in_class = True
        elif ch == "$":
            out.append(r"\Z")
            continue
        out.append(ch)
    return re.compile("".join(out))


def _pattern(
    validator: Validator, pattern: str, instance: object, schema: Mapping[str, Any]
) -> Iterator[ValidationError]:
    if validator.is_type(instance, "string") and not _ecma_regex(pattern).search(str(instance)):
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


def _is_strict_integer(_checker: object, instance: object) -> bool:
    return isinstance(instance, int) and not isinstance(instance, bool)


_StrictValidator = validators.extend(
    Draft202012Validator,
    validators={"pattern": _pattern},
    type_checker=Draft202012Validator.TYPE_CHECKER.redefine("integer", _is_strict_integer),
)


@cache
def _report_validator() -> Validator:
    return _StrictValidator(_schema())


@cache
def _connection_validator() -> Validator:
    schema = _schema()
    return _StrictValidator(
        {
            "$schema": schema["$schema"],
            "$defs": schema["$defs"],
            "$ref": "#/$defs/connection",
        }
    )


def _check(validator: Validator, doc: object, max_errors: int) -> None:
    issues: list[SchemaIssue] = []
    total = 0
    for error in validator.iter_errors(doc):
        total += 1
        if len(issues) < max_errors:
            # For anyOf (e.g. coded|null) report the branch that nearly matched.
            best = best_match([error]) or error
            issues.append(SchemaIssue(best.json_path, best.message))
    if total:
        raise ReportSchemaError(tuple(issues), total)


def validate_report(doc: Mapping[str, Any], *, max_errors: int = DEFAULT_MAX_ERRORS) -> None:
    """Check a whole JSON report (``--format json``, ``.to_dict()``) against the schema.

    Raises :class:`ReportSchemaError` naming the first *max_errors* problems by JSON path.
    """
    _check(_report_validator(), doc, max_errors)


def validate_connection(doc: Mapping[str, Any], *, max_errors: int = DEFAULT_MAX_ERRORS) -> None:
    """Check one connection object (one ``--format ndjson`` line) against the schema."""
    _check(_connection_validator(), doc, max_errors)
