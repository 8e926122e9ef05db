"""The command line: main job, subcommands, --json, one-line errors with exit code 2."""

import json
import os
import shutil
import subprocess
import sys

import pytest

from dfdx.cli import main

CHAPTER_LINES = [
    "h=0.10000, numerical limit=2.30000",
    "h=0.01000, numerical limit=2.03000",
    "h=0.00100, numerical limit=2.00300",
    "h=0.00010, numerical limit=2.00030",
    "h=0.00001, numerical limit=2.00003",
]


def run(capsys, *args):
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_no_arguments_walks_the_chapter(capsys, tmp_path):
    code, out, err = run(capsys, "--outdir", str(tmp_path))
    assert code == 0 and err == ""
    lines = out.splitlines()
    start = lines.index(CHAPTER_LINES[0])
    assert lines[start : start + 5] == CHAPTER_LINES
    assert "f'(x) = 6x - 4" in lines
    assert "f'(1) = 2" in lines
    assert "y = 2x - 3" in lines
    for name in ("dfdx-tangent.svg", "dfdx-error-vs-h.svg"):
        path = tmp_path / name
        assert path.read_text().startswith("<?xml")
        assert str(path) in out


def test_limit_shows_exact_and_errors(capsys):
    code, out, _ = run(capsys, "limit", "3x^2 - 4x", "--at", "1")
    assert code == 0
    assert "h=0.10000, numerical limit=2.30000, exact=2.00000, error=3.0e-01" in out


def test_limit_json(capsys):
    code, out, _ = run(
        capsys,
        "limit",
        "exp(x)",
        "--at",
        "0",
        "--steps",
        "3",
        "--scheme",
        "central",
        "--json",
    )
    data = json.loads(out)
    assert code == 0 and data["exact"] == 1.0 and len(data["rows"]) == 3
    assert data["rows"][0]["h"] == 0.1
    assert data["rows"][0]["value"] == pytest.approx(
        (2.718281828459045**0.1 - 2.718281828459045**-0.1) / 0.2, rel=1e-12
    )


def test_limit_plot(capsys, tmp_path):
    out_file = tmp_path / "e.png"
    code, out, _ = run(
        capsys, "limit", "sin(x)", "--at", "1", "--steps", "16", "--plot", str(out_file)
    )
    assert code == 0 and out_file.read_bytes()[:4] == b"\x89PNG"


def test_diff(capsys):
    assert run(capsys, "diff", "x^3 - 1/x", "--at", "1")[1] == (
        "d/dx(x^3 - 1/x) = 3x^2 + 1/x^2\nat 1: 4\n"
    )
    assert run(capsys, "diff", "x^3 - 1/x", "--format", "sympy")[1] == (
        "d/dx(x**3 - 1/x) = 3*x**2 + x**(-2)\n"
    )
    code, out, _ = run(capsys, "diff", "x1^2 x2", "--wrt", "x2", "--at", "x1=3,x2=1")
    assert out == "∂/∂x2(x1^2 x2) = x1^2\nat x1=3,x2=1: 9\n"
    data = json.loads(run(capsys, "diff", "sin(x)", "-n", "2", "--json")[1])
    assert data["derivative"] == "-sin(x)" and data["order"] == 2


def test_tangent(capsys, tmp_path):
    fig = tmp_path / "t.svg"
    code, out, _ = run(capsys, "tangent", "x^3 - 1/x", "--at", "1", "-o", str(fig))
    assert code == 0
    assert out.splitlines()[0] == "tangent to f(x) = x^3 - 1/x at x = 1: y = 4x - 4"
    assert fig.exists()
    data = json.loads(run(capsys, "tangent", "3x^2-4x", "--at", "1", "--json")[1])
    assert (data["slope"], data["intercept"], data["equation"]) == (
        2.0,
        -3.0,
        "y = 2x - 3",
    )


def test_plot(capsys, tmp_path):
    fig = tmp_path / "g.pdf"
    code, out, _ = run(
        capsys,
        "plot",
        "x^3 - 1/x",
        "--tangent-at",
        "1",
        "--xlim",
        "0",
        "3",
        "-o",
        str(fig),
    )
    assert code == 0 and fig.read_bytes()[:4] == b"%PDF"


@pytest.mark.parametrize(
    "args, message",
    [
        (
            ["limit", "x.real", "--at", "1"],
            "attribute access ('.real') is not allowed at column 2",
        ),
        (["limit", "x", "--at", "abc"], "argument --at: not a number: 'abc'"),
        (["limit", "x"], "the following arguments are required: --at"),
        (
            ["limit", "x", "--at", "1", "--scheme", "up"],
            "argument --scheme: invalid choice",
        ),
        (["limit", "x", "--at", "1", "--h", "-1"], "h must be positive, got -1.0"),
        (["diff", "x*y"], "several variables (x, y); choose one with --wrt"),
        (["diff", "x*y", "--wrt", "x", "--at", "x=1"], "--at: missing value for y"),
        (
            ["tangent", "abs(x)", "--at", "0"],
            "not differentiable at x = 0 (left derivative -1, right derivative 1)",
        ),
        (["tangent", "1/x", "--at", "0"], "is undefined at x = 0"),
        (["plot", "x", "-o", "f.jpg"], "output must end in .svg, .png, .pdf"),
        (["frobnicate"], "invalid choice: 'frobnicate'"),
        (["--outdir", "/nonexistent/dir"], "--outdir: not a folder"),
        (["limit", "9**9**9**9", "--at", "1"], "power too large"),
    ],
)
def test_bad_input_is_one_line_and_exit_code_2(capsys, args, message):
    code, out, err = run(capsys, *args)
    assert code == 2
    assert err.count("\n") == 1 and err.startswith("dfdx: error: ")
    assert message in err
    assert "Traceback" not in err


@pytest.mark.parametrize("command", ["limit", "diff", "tangent", "plot"])
def test_help_has_examples(capsys, command):
    with pytest.raises(SystemExit) as info:
        main([command, "--help"])
    assert info.value.code == 0
    assert "examples:" in capsys.readouterr().out


def test_installed_script_runs_in_a_subprocess(tmp_path):
    exe = shutil.which("dfdx")
    cmd = [exe] if exe else [sys.executable, "-m", "dfdx"]
    env = dict(os.environ, MPLBACKEND="Agg")
    done = subprocess.run(
        cmd + ["limit", "3*x**2 - 4*x", "--at", "1", "--json"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["rows"][-1]["value"] == pytest.approx(
        2.00003, abs=1e-5
    )
    bad = subprocess.run(
        cmd + ["diff", "__import__('os')"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=120,
    )
    assert bad.returncode == 2 and bad.stderr.startswith("dfdx: error:")
    assert "Traceback" not in bad.stderr


def test_python_dash_m(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "dfdx", "--version"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
    )
    assert done.returncode == 0 and done.stdout.startswith("dfdx ")


def test_diff_steps_in_english_and_chinese(capsys):
    code, out, _ = run(capsys, "diff", "3x^2 - 4x", "--steps")
    assert code == 0
    assert "Constant multiple rule" in out and "Power rule" in out
    assert out.rstrip().endswith("Result: d/dx(3x^2 - 4x) = 6x - 4")
    code, out, _ = run(capsys, "diff", "3x^2 - 4x", "--steps", "--lang", "zh")
    assert "常数倍法则" in out and "幂法则" in out
    assert out.rstrip().endswith("结果：d/dx(3x^2 - 4x) = 6x - 4")


@pytest.mark.parametrize(
    "fmt, marker", [("markdown", "**"), ("latex", r"\begin{aligned}"), ("html", "<ol")]
)
def test_diff_steps_formats(capsys, fmt, marker):
    code, out, _ = run(capsys, "diff", "sin(x)^2", "--steps", "--format", fmt)
    assert code == 0 and marker in out


def test_diff_steps_rejects_higher_orders(capsys):
    code, _, err = run(capsys, "diff", "x^3", "--steps", "-n", "2")
    assert code == 2 and "--steps explains first derivatives only" in err


def test_plot_gradient_field_and_tangent_plane(capsys, tmp_path):
    field = tmp_path / "field.svg"
    code, out, _ = run(
        capsys,
        "plot",
        "x1^2 + 3x2^2",
        "--kind",
        "gradient-field",
        "--at",
        "x1=1,x2=0.5",
        "-o",
        str(field),
    )
    assert code == 0 and field.read_text().startswith("<?xml")
    plane = tmp_path / "plane.png"
    code, out, _ = run(
        capsys,
        "plot",
        "x^2 + y^2",
        "--kind",
        "tangent-plane",
        "--at",
        "x=1,y=1",
        "-o",
        str(plane),
    )
    assert code == 0 and plane.read_bytes()[:4] == b"\x89PNG"


@pytest.mark.parametrize(
    "args, message",
    [
        (["--kind", "tangent-plane"], "--kind tangent-plane needs --at"),
        (
            ["--kind", "gradient-field", "--tangent-at", "1"],
            "--tangent-at is for --kind function",
        ),
        (["--at", "x=1"], "--at is for --kind gradient-field or tangent-plane"),
        (["--kind", "gradient-field", "--at", "x=1"], "missing value for variable y"),
    ],
)
def test_plot_kind_errors(capsys, tmp_path, args, message):
    expr = "x^2 + y^2"
    code, _, err = run(capsys, "plot", expr, "-o", str(tmp_path / "p.svg"), *args)
    assert code == 2 and message in err and err.count("\n") == 1


# --- regressions found by attacking the CLI (h-found) ------------------------


@pytest.mark.parametrize(
    "argv, message",
    [
        (
            ["limit", "x^2", "--at", "1", "--h", "1e-400"],
            "argument --h: too small: '1e-400' rounds to 0 in floating point",
        ),
        (["diff", "sqrt(-1)"], "I is not a real number"),
        (["diff", "10^400"], "number too large for floating point (about 1.00e+400)"),
        (["tangent", "x^2", "--at", "1e300"], "f(1e+300) = 1.00e+600"),
        (["diff", "log(x, 0)"], "log base must be a positive number other than 1"),
    ],
)
def test_cli_odd_input_is_one_line_exit_2(capsys, argv, message):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("dfdx: error: ") and message in err
    assert err.count("\n") == 1


def test_cli_h_zero_is_still_refused_as_not_positive(capsys):
    assert main(["limit", "x^2", "--at", "1", "--h", "0e-5"]) == 2
    assert "h must be positive" in capsys.readouterr().err


@pytest.mark.parametrize(
    "args, expected",
    [
        (["tangent", "x^2", "--at", "-2e0"], "y = -4x - 4"),
        (["tangent", "sin(x)", "--at", "pi/2"], "y = 1"),
        (["limit", "x^2", "--at", "-1e-3", "--steps", "1", "--json"], '"x": -0.001'),
    ],
)
def test_negative_scientific_numbers_and_constants_as_arguments(capsys, args, expected):
    code, out, err = run(capsys, *args)
    assert code == 0, err
    assert expected in out


def test_the_walk_through_in_chinese(tmp_path, capsys):
    from dfdx.cli import main

    assert main(["--lang", "zh", "--outdir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("dfdx：《动手学深度学习》微积分一节，逐步演示")
    assert "3. x = 1 处的切线\ny = 2x - 3" in out
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "dfdx-error-vs-h.svg",
        "dfdx-tangent.svg",
    ]
    # the walk's --lang does not change a command's own --lang
    assert main(["--lang", "zh", "diff", "x^2", "--steps"]) == 0
    assert "Power rule" in capsys.readouterr().out
