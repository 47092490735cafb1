"""RFC 8785 canonical JSON, from tests/vectors/jcs.json (shared with the browser)."""

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.jcs import canonicalize

VECTORS = json.loads((Path(__file__).parent / "vectors" / "jcs.json").read_text("utf-8"))


@pytest.mark.parametrize("case", VECTORS["valid"], ids=lambda c: c["name"])
def test_valid(case: dict[str, Any]) -> None:
    out = canonicalize(case["input"])
    assert out.hex() == case["output_hex"]
    assert out.decode("utf-8") == case["output"]


@pytest.mark.parametrize("case", VECTORS["invalid"], ids=lambda c: c["name"])
def test_invalid(case: dict[str, Any]) -> None:
    with pytest.raises((TypeError, ValueError)):
        canonicalize(json.loads(case["input_json"]))


@pytest.mark.parametrize(
    "value",
    [1.0, float("nan"), b"bytes", {1: "int key"}, {"a": {1, 2}}, object()],
    ids=["float", "nan", "bytes", "int key", "set", "object"],
)
def test_refuses_types(value: object) -> None:
    with pytest.raises(TypeError):
        canonicalize(value)


def test_refuses_deep_nesting() -> None:
    value: Any = []
    for _ in range(100):
        value = [value]
    with pytest.raises(ValueError, match="nesting"):
        canonicalize(value)


def test_tuples_are_arrays() -> None:
    assert canonicalize({"a": (1, "b")}) == b'{"a":[1,"b"]}'


def test_utf16_order_differs_from_python_sort() -> None:
    # The reason jcs.py does not use sort_keys (RFC 8785 §3.2.3).
    value = {"\ue000": 1, "\U0001f600": 2}
    assert json.dumps(value, sort_keys=True, ensure_ascii=False).index("\ue000") == 2
    assert canonicalize(value).decode().index("\U0001f600") == 2


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53) + 1, 2**53 - 1) | st.text(),
    lambda children: st.lists(children) | st.dictionaries(st.text(), children),
    max_leaves=20,
)


@given(JSON_VALUES)
def test_matches_json_dumps_for_bmp_keys(value: Any) -> None:
    # protocol §0: json.dumps(sort_keys=True, ...) produces JCS when the two
    # orders agree, which they do for keys without astral characters.
    try:
        text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        expected = text.encode("utf-8")
    except UnicodeEncodeError:
        with pytest.raises(ValueError, match="surrogate"):
            canonicalize(value)
        return
    if any(ord(ch) > 0xFFFF for ch in text):
        return
    assert canonicalize(value) == expected
    assert json.loads(canonicalize(value)) == value
