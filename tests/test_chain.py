"""The multivariate chain rule as a sum over paths."""

import pytest
import sympy

import dfdx
from dfdx import DfdxError
from dfdx.chain import ChainRule, ChainTerm, chain_rule

GENERIC = "u = f(x, y, z); x = x(a, b); y = y(a, b); z = z(a, b)"
CONCRETE = "u = x*y + z^2; x = a + b; y = a - b; z = a*b"


@pytest.mark.parametrize("wrt", ["a", "b"])
def test_exercise_generic_chain_rule(wrt):
    r = chain_rule(GENERIC, wrt)
    assert isinstance(r, ChainRule)
    assert r.formula == (
        f"∂u/∂{wrt} = ∂u/∂x·∂x/∂{wrt} + ∂u/∂y·∂y/∂{wrt} + ∂u/∂z·∂z/∂{wrt}"
    )
    assert r.paths == (("u", "x", wrt), ("u", "y", wrt), ("u", "z", wrt))
    assert r.inputs == ("a", "b")
    assert r.result is None  # unknown functions: no closed form
    assert r.check is True
    # the terms are SymPy's own chain rule, term by term
    a, b = sympy.symbols("a b")
    X, Y, Z = (sympy.Function(n)(a, b) for n in "xyz")
    f = sympy.Function("f")
    direct = sympy.diff(f(X, Y, Z), sympy.Symbol(wrt))
    assert sympy.simplify(r.total.sympy - direct) == 0
    for term, inner in zip(r.terms, (X, Y, Z), strict=True):
        assert isinstance(term, ChainTerm)
        assert term.value.sympy.has(sympy.Derivative(inner, sympy.Symbol(wrt)))
    assert r.latex.startswith(r"\frac{\partial u}{\partial " + wrt + "}")
    assert r._repr_latex_() == f"${r.latex}$"


def test_concrete_chain_rule_result_and_check():
    r = chain_rule(CONCRETE, "a")
    a, b = sympy.symbols("a b")
    u = (a + b) * (a - b) + (a * b) ** 2
    assert sympy.simplify(r.result.sympy - sympy.diff(u, a)) == 0
    assert isinstance(r.result, dfdx.Expression)
    assert str(r.result) == "2*a*(b**2 + 1)"
    assert r.check is True
    assert [t.notation for t in r.terms] == [
        "∂u/∂x·∂x/∂a",
        "∂u/∂y·∂y/∂a",
        "∂u/∂z·∂z/∂a",
    ]
    assert [[str(f) for f in t.factors] for t in r.terms] == [
        ["y", "1"],
        ["x", "1"],
        ["2*z", "b"],
    ]
    assert [str(t.value) for t in r.terms] == ["a - b", "a + b", "2*a*b**2"]
    assert str(r).splitlines() == [
        "∂u/∂a = ∂u/∂x·∂x/∂a + ∂u/∂y·∂y/∂a + ∂u/∂z·∂z/∂a",
        "      = y·1 + x·1 + 2z·b",
        "      = 2a·(b^2 + 1)",
        "paths: u → x → a; u → y → a; u → z → a",
        "check against direct differentiation: equal",
    ]
    r_b = chain_rule(CONCRETE, "b")
    assert sympy.simplify(r_b.result.sympy - sympy.diff(u, b)) == 0


def test_shared_node_gives_two_paths_like_backprop():
    """w reaches L through y directly and through h: two terms that add."""
    r = chain_rule("L = (y - t)^2; y = w*h + c; h = tanh(w*x)", "w")
    assert r.paths == (("L", "y", "w"), ("L", "y", "h", "w"))
    w, h, c, t, x = sympy.symbols("w h c t x")
    L = (w * sympy.tanh(w * x) + c - t) ** 2
    assert sympy.simplify(r.result.sympy - sympy.diff(L, w)) == 0
    assert r.check is True


def test_direct_dependence_is_a_path_of_length_one():
    r = chain_rule("u = a*x; x = a^2", "a")
    assert r.paths == (("u", "a"), ("u", "x", "a"))
    assert str(r.result) == "3*a**2"


def test_mixed_generic_and_concrete():
    r = chain_rule("u = f(x, y); x = a + b; y = a*b", "b")
    assert r.formula == "∂u/∂b = ∂u/∂x·∂x/∂b + ∂u/∂y·∂y/∂b"
    assert r.result is None and r.check is True


def test_abs_uses_real_derivative():
    r = chain_rule("u = abs(x); x = a - b", "a")
    assert str(r.result) == "sign(a - b)"


def test_input_not_reached_gives_zero():
    r = chain_rule("u = x + c; x = a", "c")
    assert r.formula == "∂u/∂c = ∂u/∂c"
    r = chain_rule("u = x*y; x = a; y = b", "b")
    assert str(r.result) == "a"


def test_to_dict():
    d = chain_rule(CONCRETE, "a").to_dict()
    assert d["result"] == "2*a*(b**2 + 1)" and d["check"] is True
    assert d["terms"][2] == {
        "path": ["u", "z", "a"],
        "notation": "∂u/∂z·∂z/∂a",
        "factors": ["2*z", "b"],
        "value": "2*a*b**2",
    }


@pytest.mark.parametrize(
    ("definitions", "wrt", "message"),
    [
        ("u = x; x = u", "a", "definitions form a cycle: u → x → u"),
        ("u = x; x = y; y = x", "a", "definitions form a cycle: x → y → x"),
        ("u = x*y; x = a; z = a", "a", "z is defined but u does not depend on it"),
        ("u = x+; x = a", "a", "in the definition u = x+: invalid syntax"),
        ("u = x*y; x = a", "c", "wrt='c' does not occur in the definitions"),
        ("u = x*y; x = a", "x", "wrt='x' is defined (x = a); differentiate by an"),
        ("u = x*y; x = a", "2a", "wrt must be a variable name, got '2a'"),
        ("u x", "a", "definition 'u x' has no '='"),
        ("u = x; u = a", "a", "u is defined more than once"),
        ("2u = x", "a", "left side of '2u = x' must be a variable name, got '2u'"),
        ("u = ", "a", "definition of u has nothing after '='"),
        ("", "a", "definitions are empty"),
        (" ; ", "a", "definitions are empty"),
        (42, "a", "definitions must be text"),
        ("u = import(x)", "x", "in the definition u = import(x)"),
        (";".join(f"v{i} = v{i + 1}" for i in range(60)), "v60", "too many"),
    ],
)
def test_validation(definitions, wrt, message):
    with pytest.raises(DfdxError) as info:
        chain_rule(definitions, wrt)
    assert message in str(info.value)


def test_path_explosion_is_refused():
    # each layer doubles the number of paths: 2**10 > MAX_PATHS
    defs = ["u = p0 + q0"]
    for i in range(10):
        defs += [f"p{i} = p{i + 1} + q{i + 1}", f"q{i} = p{i + 1} * q{i + 1}"]
    defs += ["p10 = a", "q10 = a"]
    with pytest.raises(DfdxError, match="more than 500 paths"):
        chain_rule("; ".join(defs), "a")


# --- regressions found by QA -------------------------------------------------


def test_chain_rule_exponential_nesting_is_refused_quickly():
    # v_i = v_{i+1} + v_{i+1}^2 fifty deep is a polynomial of degree 2^49
    defs = "; ".join([f"v{i} = v{i + 1} + v{i + 1}^2" for i in range(49)] + ["v49 = a"])
    with pytest.raises(DfdxError, match="nest too deeply"):
        chain_rule(defs, "a")


def test_chain_rule_large_concrete_is_bounded():
    # 41 intermediate variables: no simplify on the big sum, still checked
    defs = (
        "u = "
        + " + ".join(f"x{i}*x{i + 1}" for i in range(12))
        + "; "
        + "; ".join(f"x{i} = sin({i}*a + b)" for i in range(13))
    )
    r = chain_rule(defs, "a")
    a, b = sympy.symbols("a b")
    u = sum(sympy.sin(i * a + b) * sympy.sin((i + 1) * a + b) for i in range(12))
    assert r.check is True
    assert sympy.simplify(r.result.sympy - sympy.diff(u, a)) == 0
    assert len(r.terms) == 12  # x0 = sin(b) does not depend on a


def test_chain_rule_text_in_chinese():
    r = dfdx.chain_rule("u = x*y + z^2; x = a + b; y = a*b; z = a - b", wrt="a")
    text = r.to_text("zh")
    assert "路径：u → x → a; u → y → a; u → z → a" in text
    assert text.splitlines()[-1] == "与直接求导比较：相等"
    assert str(r).splitlines()[-1] == "check against direct differentiation: equal"
    with pytest.raises(dfdx.DfdxError, match="lang must be 'en' or 'zh'"):
        r.to_text("fr")
