"""Tests for dfdx.exercises: every exercise of both editions, solved and checked."""

from __future__ import annotations

import re

import pytest

import dfdx
from dfdx.errors import DfdxError


@pytest.fixture(scope="module")
def all_en():
    return dfdx.exercises()


def test_all_ten_solved_and_checked(all_en):
    assert [e.number for e in all_en] == list(range(1, 11))
    assert all_en.ok
    assert all(e.checks for e in all_en)


def test_answers(all_en):
    assert all_en[4].answer == "x^x·(ln(x) + 1)"
    assert all_en[6].answer == "y = 4x - 4"
    assert all_en[7].answer == "[6x1, 5 e^(x2)]"
    assert "x/‖x‖₂" in all_en[8].answer and "x = 0" in all_en[8].answer
    assert all_en[9].answer.startswith("∂u/∂a = ∂u/∂x·∂x/∂a + ∂u/∂y·∂y/∂a")
    assert all_en[10].answer == "(f⁻¹)′(y) = 1 / f′(f⁻¹(y))"


def test_old_edition_numbers():
    ex = dfdx.exercises(edition="0.17")
    assert [e.number for e in ex] == [6, 7, 8, 9]
    assert [e.zh_number for e in ex] == [1, 2, 3, 4]
    assert dfdx.exercises(2, edition="0.17")[7].zh_number == 2


def test_chinese():
    ex = dfdx.exercises(4, lang="zh")[4]
    text = ex.to_text()
    assert text.startswith("练习 4（1.0 版第 4 题）") and "对数求导法" in text
    assert "数值验证" in text and "一致" in text


def test_figure_without_outdir_is_not_drawn(all_en):
    assert all_en[6].figure is None and "outdir" in all_en[6].to_text()


def test_figure_written_without_warning(tmp_path):
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ex = dfdx.exercises(6, outdir=tmp_path)[6]
    svg = (tmp_path / "exercise6_tangent.svg").read_text()
    assert ex.figure and svg.startswith("<?xml")


def test_to_dict():
    d = dfdx.exercises(4).to_dict()[0]
    assert d["number"] == 4 and d["ok"] and d["checks"][0]["error"] < 1e-6


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (
            {"number": 11},
            r"number must be between 1 and 10 for the 1.0 edition, got 11",
        ),
        (
            {"number": 5, "edition": "0.17"},
            r"between 1 and 4 for the 0.17 edition, got 5",
        ),
        ({"number": "4"}, r"number must be an integer, got '4'"),
        ({"edition": "2.0"}, r"edition must be one of '1.0', '0.17', got '2.0'"),
        ({"lang": "fr"}, r"lang must be one of 'en', 'zh', got 'fr'"),
    ],
)
def test_validation(kwargs, message):
    with pytest.raises(DfdxError, match=message):
        dfdx.exercises(**kwargs)


@pytest.mark.parametrize(
    "number, message",
    [
        (0, r"between 1 and 10 for the 1.0 edition, got 0"),
        (-1, r"between 1 and 10 for the 1.0 edition, got -1"),
        (2.5, r"number must be an integer, got 2.5"),
        (True, r"number must be an integer, got True"),
    ],
)
def test_bad_exercise_numbers(number, message):
    with pytest.raises(DfdxError, match=message):
        dfdx.exercises(number)


def test_zh_numeric_check_lines_are_all_chinese():
    # was "数值验证：∂f/∂x1 at (1, 0): 6 vs exact 6 (error 8.3e-12) 一致"
    text = dfdx.exercises(7, lang="zh")[7].to_text()
    lines = [ln for ln in text.splitlines() if ln.startswith("数值验证")]
    assert len(lines) == 2
    assert re.fullmatch(
        r"数值验证：∂f/∂x1 在 \(1, 0\) 处的中心差分值 6，精确值 6，"
        r"误差 \d\.\de-\d\d，一致",
        lines[0],
    )
    for ln in dfdx.exercises(lang="zh").to_text().splitlines():
        if ln.startswith("数值验证"):
            assert not re.search(r"\b(at|vs|exact|error|agrees)\b", ln), ln


def test_english_numeric_check_line_unchanged():
    line = dfdx.exercises(7)[7].checks[0]
    assert re.fullmatch(
        r"∂f/∂x1 at \(1, 0\): 6 vs exact 6 \(error \d\.\de-\d\d\)", str(line)
    )
    assert dfdx.exercises(7).to_dict()[0]["checks"][0]["at"] == "(1, 0)"


def test_outdir_unwritable_is_a_clear_error(tmp_path):
    blocker = tmp_path / "afile"
    blocker.write_text("x")
    with pytest.raises(DfdxError, match=r"outdir '.*afile' is a file, not a folder"):
        dfdx.exercises(6, outdir=blocker)
    with pytest.raises(DfdxError, match=r"outdir '.*afile/sub': its parent folder"):
        dfdx.exercises(6, outdir=blocker / "sub")
    with pytest.raises(DfdxError, match=r"outdir must be a folder path, got 5"):
        dfdx.exercises(6, outdir=5)


def test_outdir_is_created(tmp_path):
    ex = dfdx.exercises(6, outdir=tmp_path / "figs")[6]
    assert (tmp_path / "figs" / "exercise6_tangent.svg").exists()
    assert ex.figure.endswith("exercise6_tangent.svg")


def test_outdir_whose_parent_is_missing_is_refused(tmp_path):
    missing = tmp_path / "no" / "such" / "folder"
    with pytest.raises(DfdxError, match="its parent folder .* does not exist"):
        dfdx.exercises(6, outdir=missing)
    assert not (tmp_path / "no").exists()
