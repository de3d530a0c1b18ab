"""The one YAML reader (`spmsim.config.read_yaml`) on hostile files, and safe names.

Each case is refused before anything is built, with the file named and the line (or byte)
of what is wrong: duplicate keys (both lines), alias bombs and deep nesting, oversized
files, text that is not UTF-8, folders given as files, tags that are not plain data, and
values YAML cannot build (a 13th month).
"""

from __future__ import annotations

import time
import tracemalloc

import pytest

from spmsim.config import (
    MAX_YAML_BYTES,
    is_safe_name,
    parse_yaml,
    read_yaml,
    safe_name,
)
from spmsim.errors import InputError


def _error(path) -> str:
    with pytest.raises(InputError) as e:
        read_yaml(path)
    return str(e.value)


def test_duplicate_key_refused_with_both_lines(tmp_path):
    path = tmp_path / "plan.yaml"
    path.write_text("plan: x\note: 100\nbase_share: 0.5\note: 999\n")
    message = _error(path)
    assert message == f"{path}: line 4: duplicate key 'ote' (first on line 2): keep one of them"


def test_duplicate_key_in_a_nested_mapping(tmp_path):
    path = tmp_path / "plan.yaml"
    path.write_text("components:\n  - name: a\n    rate: 1\n    rate: 2\n")
    assert "line 4: duplicate key 'rate' (first on line 3)" in _error(path)


def test_merge_keys_and_overrides_are_not_duplicates(tmp_path):
    path = tmp_path / "ok.yaml"
    path.write_text("base: &b {a: 1, b: 2}\nmine:\n  <<: *b\n  a: 3\n")
    assert read_yaml(path) == {"base": {"a": 1, "b": 2}, "mine": {"a": 3, "b": 2}}


def test_alias_bomb_refused_fast_and_small(tmp_path):
    """Nine levels of nine aliases expand to 9^9 (387 million) values: refused from the
    node graph in a fraction of a second, without building any of it."""
    lines = ['a0: &a0 ["x"]']
    for i in range(1, 10):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]")
    path = tmp_path / "bomb.yaml"
    path.write_text("\n".join(lines) + "\n")
    tracemalloc.start()
    start = time.perf_counter()
    message = _error(path)
    seconds = time.perf_counter() - start
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert "once its aliases (*name) are expanded" in message
    assert str(path) in message
    assert seconds < 2 and peak < 20 * 1024 ** 2, (seconds, peak)


def test_moderate_aliases_are_fine(tmp_path):
    path = tmp_path / "ok.yaml"
    path.write_text("tiers: &t [{rate: 1}]\nother: *t\nthird: *t\n")
    assert read_yaml(path)["third"] == [{"rate": 1}]


def test_recursive_alias_refused(tmp_path):
    path = tmp_path / "loop.yaml"
    path.write_text("a: &a [1, *a]\n")
    assert "refers to the value that contains it" in _error(path)


def test_deep_nesting_refused(tmp_path):
    for depth in (100, 1000):
        path = tmp_path / f"deep{depth}.yaml"
        path.write_text("a: " + "[" * depth + "]" * depth + "\n")
        message = _error(path)
        assert "nested more than" in message and str(path) in message


def test_oversized_file_refused_without_reading_it_whole(tmp_path):
    path = tmp_path / "huge.yaml"
    with path.open("wb") as fh:  # 50 MB of comments
        fh.write(b"# padding\n" * (5 * 1024 * 1024))
    tracemalloc.start()
    message = _error(path)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert f"larger than {MAX_YAML_BYTES // 1024 ** 2} MB" in message and str(path) in message
    assert peak < 3 * MAX_YAML_BYTES


def test_not_utf8_names_the_file_and_byte(tmp_path):
    path = tmp_path / "latin1.yaml"
    path.write_bytes("plan: x\ndescription: café\n".encode("latin-1"))
    # offsets count from 0: "plan: x\n" is bytes 0-7, "description: caf" 8-23
    assert _error(path) == (f"{path}: line 2, column 17 (byte offset 24): byte 0xe9 is not "
                            "UTF-8 text: save the file as UTF-8")


def test_utf8_byte_order_mark_is_fine(tmp_path):
    path = tmp_path / "bom.yaml"
    path.write_bytes(b"\xef\xbb\xbfplan: caf\xc3\xa9\n")
    assert read_yaml(path) == {"plan": "café"}


def test_folder_and_missing_file_named(tmp_path):
    assert _error(tmp_path) == f"{tmp_path}: cannot read the file: it is a folder, not a file"
    missing = tmp_path / "nope.yaml"
    assert _error(missing) == f"{missing}: cannot read the file: no such file"


def test_python_tags_refused_and_never_run(tmp_path):
    marker = tmp_path / "pwned"
    path = tmp_path / "evil.yaml"
    path.write_text(f"x: !!python/object/apply:os.system ['touch {marker}']\n")
    message = _error(path)
    assert "line 1" in message and "could not determine a constructor" in message
    assert not marker.exists()


def test_control_character_named_by_line(tmp_path):
    path = tmp_path / "nul.yaml"
    path.write_text("plan: x\nname: a\x00b\n")
    assert _error(path) == (f"{path}: line 2: character U+0000 is not allowed in YAML: "
                            "remove it")


def test_unbuildable_value_named_by_line(tmp_path):
    path = tmp_path / "date.yaml"
    path.write_text("plan: x\nyear_start: 2027-13-01\n")
    message = _error(path)
    assert message.startswith(f"{path}: line 2, column 13: not valid YAML: cannot read "
                              "'2027-13-01' (month must be in 1..12)")


def test_every_message_is_one_line_per_problem(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("a: [1, 2\nb: {\n")
    assert "\n" not in _error(path)


def test_parse_yaml_names_its_source():
    with pytest.raises(InputError, match=r"^--set x: line 1: duplicate key"):
        parse_yaml("{a: 1, a: 2}", "--set x")


@pytest.mark.parametrize("name, ok", [
    ("enterprise_ae.yaml", True), ("v2-steeper.1", True), ("a" * 100, True),
    ("a" * 101, False), ("plan.yaml\n", False), ("../x", False), (".hidden", False),
    ("a/b", False), ("a\\b", False), ("", False), ("name.", False), ("con sole", False),
    ("x\x00", False), ("ünïcode", False), (None, False),
])
def test_safe_names(name, ok):
    assert is_safe_name(name) is ok


def test_safe_name_made_from_a_stem():
    assert safe_name("Q3 plan (draft)") == "Q3_plan__draft_"
    assert is_safe_name(safe_name(".hidden")) and is_safe_name(safe_name("..."))
