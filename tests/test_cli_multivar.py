"""``dfdx grad``, ``dfdx chain`` and ``dfdx graph``, run in-process."""

import importlib.util
import json

import pytest

import dfdx.cli as cli


@pytest.fixture(autouse=True)
def _only_existing_command_modules(monkeypatch):
    """Register the command modules present in this checkout (others land
    in parallel branches)."""
    present = tuple(
        m for m in cli._COMMAND_MODULES if importlib.util.find_spec(f"dfdx.cli.{m}")
    )
    assert "multivar" in present
    monkeypatch.setattr(cli, "_COMMAND_MODULES", present)


def run(capsys, *argv):
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_grad_exercise(capsys):
    code, out, err = run(capsys, "grad", "3x1^2 + 5exp(x2)", "--at", "x1=1,x2=0")
    assert code == 0 and err == ""
    assert out.splitlines() == [
        "f(x1, x2) = 3x1^2 + 5 e^(x2)",
        "∇f = [6x1, 5 e^(x2)]",
        "∇f(x1 = 1, x2 = 0) = [6, 5]",
    ]


def test_grad_wrt_order_and_hessian(capsys):
    code, out, _ = run(
        capsys, "grad", "x^2 y", "--wrt", "y,x", "--hessian", "--at", "x=1,y=2"
    )
    assert code == 0
    assert out.splitlines() == [
        "f(x, y) = x^2 y",
        "∇f = (∂f/∂y, ∂f/∂x) = [x^2, 2x·y]",
        "∇f(x = 1, y = 2) = [1, 4]",
        "H = [[0, 2x], [2x, 2y]]",
        "H at the point = [[0, 2], [2, 4]]",
    ]


def test_grad_json(capsys):
    code, out, _ = run(
        capsys, "grad", "3x1^2 + 5exp(x2)", "--at", "x1=1,x2=0", "--hessian", "--json"
    )
    assert code == 0
    data = json.loads(out)
    assert data["gradient"] == ["6*x1", "5*exp(x2)"]
    assert data["value"] == [6.0, 5.0]
    assert data["variables"] == ["x1", "x2"]
    assert data["hessian"] == [["6", "0"], ["0", "5*exp(x2)"]]
    assert data["hessian_value"] == [[6.0, 0.0], [0.0, 5.0]]


def test_grad_norm_at_zero_is_one_line_error(capsys):
    code, out, err = run(capsys, "grad", "norm(x1, x2, x3)", "--at", "x1=0,x2=0,x3=0")
    assert code == 2 and out == ""
    assert err.startswith("dfdx: error: f = √(x1^2 + x2^2 + x3^2)")
    assert "not differentiable" in err and "subgradient" in err
    assert len(err.strip().splitlines()) == 1


def test_grad_matrix_and_rules(capsys):
    code, out, _ = run(capsys, "grad", "x.T*A*x", "--matrix")
    assert code == 0
    assert out.splitlines()[0].startswith("∇_x x.T*A*x = A*x + A.T*x   [ok")
    assert "column vectors" in out
    code, out, _ = run(capsys, "grad", "--rules")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].startswith("convention: column vectors")
    assert [line.split("   ")[0] for line in lines[1:]] == [
        "∇_x A*x = A.T",
        "∇_x x.T*A = A",
        "∇_x x.T*A*x = A*x + A.T*x",
        "∇_x norm(x)^2 = 2*x",
        "∇_X norm(X)^2 = 2*X",
        "∇_x norm(x) = x/norm(x)",
    ]
    code, out, _ = run(capsys, "grad", "--rules", "--json", "-n", "2")
    assert [r["n"] for r in json.loads(out)] == [2] * 6
    code, out, _ = run(capsys, "grad", "norm(X)^2", "--matrix", "--json")
    assert json.loads(out)["gradient"] == "2*X"


def test_chain_generic_and_concrete(capsys):
    code, out, _ = run(
        capsys,
        "chain",
        "u = f(x, y, z); x = x(a, b); y = y(a, b); z = z(a, b)",
        "--wrt",
        "b",
    )
    assert code == 0
    assert out.splitlines()[0] == "∂u/∂b = ∂u/∂x·∂x/∂b + ∂u/∂y·∂y/∂b + ∂u/∂z·∂z/∂b"
    code, out, _ = run(
        capsys, "chain", "u = x*y + z^2; x = a + b; y = a - b; z = a*b", "--wrt", "a"
    )
    assert "      = 2a·(b^2 + 1)" in out.splitlines()
    code, out, _ = run(
        capsys, "chain", "u = x*y; x = a + b; y = a - b", "--wrt", "a", "--json"
    )
    data = json.loads(out)
    assert data["result"] == "2*a" and data["check"] is True
    assert [t["path"] for t in data["terms"]] == [["u", "x", "a"], ["u", "y", "a"]]


def test_graph_steps_and_svg(capsys, tmp_path):
    path = tmp_path / "g.svg"
    code, out, err = run(
        capsys,
        "graph",
        "x1*x2 + exp(x1*x2)",
        "--at",
        "x1=0,x2=2",
        "--steps",
        "-o",
        str(path),
    )
    assert code == 0, err
    assert "gradient: ∂f/∂x1 = 4, ∂f/∂x2 = 0" in out
    assert "  ∂f/∂v1 = ∂f/∂v2·∂v2/∂v1 + ∂f/∂v3·∂v3/∂v1 = 1·1 + 1·1 = 2" in out
    assert out.rstrip().endswith(f"wrote {path}")
    assert path.read_text(encoding="utf-8").startswith("<?xml")


def test_graph_png_and_json(capsys, tmp_path):
    path = tmp_path / "g.png"
    code, out, _ = run(
        capsys,
        "graph",
        "x*y + x",
        "--at",
        "x=1,y=2",
        "--json",
        "--steps",
        "-o",
        str(path),
    )
    assert code == 0
    data = json.loads(out)
    assert data["gradient"] == {"x": 3.0, "y": 1.0}
    assert data["output_file"] == str(path) and len(data["steps"]) == 4
    assert path.read_bytes()[:4] == b"\x89PNG"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["grad", "3x +"], "dfdx: error: invalid syntax"),
        (["grad"], "dfdx: error: give an expression (or --rules)"),
        (["grad", "x", "--rules"], "--rules takes no EXPR"),
        (["grad", "x.T*x", "--matrix", "--at", "x=1"], "--at and --hessian do not"),
        (["grad", "x*y", "--at", "x=1"], "at: missing value for variable y"),
        (["grad", "x*y", "--at", "x"], "expected NAME=VALUE pairs"),
        (["grad", "x*y", "--wrt", "1x"], "wrt must hold variable names, got '1x'"),
        (["grad", "log(x) + y", "--at", "x=0,y=1"], "undefined at x = 0, y = 1"),
        (["grad", "x.H", "--matrix"], "only .T (transpose) is allowed"),
        (["chain", "u = x; x = u", "--wrt", "a"], "definitions form a cycle"),
        (["chain", "u = x*y; x = a"], "the following arguments are required: --wrt"),
        (["graph", "log(x)", "--at", "x=-1"], "v1 = ln(x) is undefined at x = -1"),
        (["graph", "x", "--at", "x=1", "-o", "a.gif"], "--output must end in .svg"),
        (["graph", "x*y"], "the following arguments are required: --at"),
    ],
)
def test_bad_input_is_one_line_exit_2(capsys, argv, message):
    code, out, err = run(capsys, *argv)
    assert code == 2
    assert out == ""
    assert len(err.strip().splitlines()) == 1
    assert err.startswith("dfdx: error: ")
    assert message in err


def test_help_has_examples(capsys):
    for name in ("grad", "chain", "graph"):
        with pytest.raises(SystemExit) as info:
            cli.main([name, "--help"])
        assert info.value.code == 0
        out = capsys.readouterr().out
        assert "examples:" in out and f"dfdx {name} " in out


def test_graph_output_to_missing_directory(capsys, tmp_path):
    for name in ("g.svg", "g.png"):
        code, out, err = run(
            capsys, "graph", "x*y", "--at", "x=1,y=2", "-o", str(tmp_path / "no" / name)
        )
        assert code == 2 and out == ""
        assert (
            err.startswith("dfdx: error: output folder does not exist")
            and "Traceback" not in err
        )


def test_grad_log_at_minus_one(capsys):
    code, out, err = run(capsys, "grad", "log(x) + y", "--at", "x=-1,y=1")
    assert code == 2 and "undefined at x = -1" in err
