"""Tests for ``dfdx exercises``."""

from __future__ import annotations

import importlib.util
import json

import pytest

import dfdx.cli as cli


@pytest.fixture(autouse=True)
def _only_existing_commands(monkeypatch):
    # other command modules land with the merge; test ours on its own
    present = tuple(
        m for m in cli._COMMAND_MODULES if importlib.util.find_spec(f"dfdx.cli.{m}")
    )
    monkeypatch.setattr(cli, "_COMMAND_MODULES", present)


def test_one_exercise(capsys):
    assert cli.main(["exercises", "4"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Exercise 4 (1.0 edition no. 4)")
    assert "Answer: x^x·(ln(x) + 1)" in out


def test_chinese_old_edition(capsys):
    assert cli.main(["exercises", "2", "--edition", "0.17", "--lang", "zh"]) == 0
    out = capsys.readouterr().out
    assert "练习 7（1.0 版第 7 题；0.17 版/中文版第 2 题）" in out


def test_json(capsys):
    assert cli.main(["exercises", "7", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data[0]["answer"] == "[6x1, 5 e^(x2)]" and data[0]["ok"]


@pytest.mark.parametrize(
    "argv, message",
    [
        (["exercises", "12"], "number must be between 1 and 10"),
        (["exercises", "x"], "invalid int value: 'x'"),
        (["exercises", "--lang", "fr"], "invalid choice: 'fr'"),
    ],
)
def test_errors(argv, message, capsys):
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("dfdx: error: ") and message in err and err.count("\n") == 1


def test_outdir_that_is_a_file_is_one_line_error(tmp_path, capsys):
    blocker = tmp_path / "afile"
    blocker.write_text("x")
    assert cli.main(["exercises", "6", "--outdir", str(blocker)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("dfdx: error: outdir ") and "is a file, not a folder" in err
    assert err.count("\n") == 1


def test_zh_numeric_check_line(capsys):
    assert cli.main(["exercises", "4", "--lang", "zh"]) == 0
    out = capsys.readouterr().out
    assert (
        "数值验证：d/dx x^x 在 x = 2 处的中心差分值 6.772588724，精确值 6.772588722"
        in out
    )
