"""Partial derivatives, gradients, Jacobians, Hessians and the matrix rules."""

import numpy as np
import pytest
import sympy

import dfdx
from dfdx import DfdxError, NotDifferentiableError, UndefinedError
from dfdx.matrix_rules import MatrixRule, gradient_rules, matrix_rule
from dfdx.multivariate import (
    SymbolicGradient,
    SymbolicHessian,
    SymbolicJacobian,
    gradient,
    hessian,
    jacobian,
    partial,
)

x1, x2, x3 = sympy.symbols("x1 x2 x3")


# -- the chapter's exercises ------------------------------------------------


def test_exercise_gradient_of_3x1_squared_plus_5exp_x2():
    g = gradient("3x1^2 + 5exp(x2)")
    assert isinstance(g, SymbolicGradient)
    assert g.variables == ("x1", "x2")
    assert sympy.simplify(g[0].sympy - 6 * x1) == 0
    assert sympy.simplify(g[1].sympy - 5 * sympy.exp(x2)) == 0
    assert str(g) == "[6*x1, 5*exp(x2)]"
    assert len(g) == 2 and [str(c) for c in g] == ["6*x1", "5*exp(x2)"]
    rng = np.random.default_rng(1)
    for _ in range(5):
        a, b = rng.uniform(-2, 2, 2)
        np.testing.assert_allclose(
            gradient("3x1^2 + 5exp(x2)", at={"x1": a, "x2": b}),
            [6 * a, 5 * np.exp(b)],
            rtol=1e-14,
        )


def test_exercise_gradient_of_the_euclidean_norm_is_x_over_norm():
    g = gradient("norm(x1, x2, x3)")
    n = sympy.sqrt(x1**2 + x2**2 + x3**2)
    for comp, s in zip(g, (x1, x2, x3), strict=True):
        assert sympy.simplify(comp.sympy - s / n) == 0
    rng = np.random.default_rng(2)
    for _ in range(5):
        v = rng.normal(size=3)
        np.testing.assert_allclose(g.at(v), v / np.linalg.norm(v), rtol=1e-13)


def test_norm_gradient_is_undefined_at_zero_and_message_names_the_subgradients():
    with pytest.raises(NotDifferentiableError) as info:
        gradient("norm(x1, x2, x3)", at=[0, 0, 0])
    msg = str(info.value)
    assert "not differentiable at x1 = 0, x2 = 0, x3 = 0" in msg
    assert "0/0" in msg
    assert "subgradient" in msg and "‖g‖₂ ≤ 1" in msg
    assert isinstance(info.value, DfdxError)


def test_scaled_norm_subgradient_ball_is_scaled():
    with pytest.raises(NotDifferentiableError, match="‖g‖₂ ≤ 2"):
        gradient("2 norm(x, y)", at={"x": 0, "y": 0})


def test_negative_norm_is_concave_no_subgradient():
    with pytest.raises(NotDifferentiableError) as info:
        gradient("-norm(x, y)", at=[0, 0])
    assert "concave" in str(info.value) and "supergradients" in str(info.value)


def test_kink_along_one_axis_gives_one_sided_derivatives():
    with pytest.raises(NotDifferentiableError) as info:
        gradient("abs(x1) + x2", at=[0, 1])
    assert "along x1: left derivative -1, right derivative 1" in str(info.value)
    assert info.value.left == -1 and info.value.right == 1
    np.testing.assert_allclose(gradient("abs(x1) + x2", at=[-2, 1]), [-1, 1])


def test_gradient_undefined_where_function_is_undefined():
    with pytest.raises(UndefinedError, match="undefined at x1 = 0, x2 = 1"):
        gradient("log(x1) + x2", at=[0, 1])


def test_vertical_tangent_is_not_differentiable():
    with pytest.raises(NotDifferentiableError, match="right derivative \\+inf"):
        gradient("sqrt(x1) * x2", at=[0, 1])


# -- partial, wrt order, points ------------------------------------------------


def test_partial():
    assert partial("3x1^2 + 5exp(x2)", "x1") == dfdx.parse("6x1")
    assert partial("x*y^2", "y") == dfdx.parse("2x y")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("x*y", "z"), "wrt='z' is not a variable of x·y (variables: x, y)"),
        (("x*y", 3), "wrt must be a variable name, got 3"),
        (("x*y", "2x"), "wrt must be a variable name, got '2x'"),
    ],
)
def test_partial_validation(args, message):
    with pytest.raises(DfdxError) as info:
        partial(*args)
    assert message in str(info.value)


def test_wrt_order_and_extra_variables():
    g = gradient("x1 * x2^2", wrt=["x2", "x1", "x3"])
    assert g.variables == ("x2", "x1", "x3")
    assert str(g) == "[2*x1*x2, x2**2, 0]"
    np.testing.assert_array_equal(
        gradient("x1 * x2^2", wrt="x2, x1", at={"x1": 3, "x2": 2}), [12.0, 4.0]
    )
    # a sequence is in wrt order
    np.testing.assert_array_equal(
        gradient("x1 * x2^2", wrt="x2,x1", at=[2, 3]), [12.0, 4.0]
    )


def test_natural_order_of_variables():
    g = gradient("x10 + 2 x2 + 3 x1")
    assert g.variables == ("x1", "x2", "x10")
    np.testing.assert_array_equal(g.at([0, 0, 0]), [3, 2, 1])


def test_x_is_the_same_as_at():
    np.testing.assert_array_equal(
        gradient("x*y", {"x": 1, "y": 2}), gradient("x*y", at={"x": 1, "y": 2})
    )
    out = gradient("x^2", 3)
    assert isinstance(out, np.ndarray) and out.dtype == float
    np.testing.assert_array_equal(out, [6.0])


def test_sympy_input_and_latex():
    g = gradient(x1**2 * x2)
    assert str(g) == "[2*x1*x2, x1**2]"
    assert g.latex.startswith(r"\nabla f = ")
    assert g._repr_latex_() == f"${g.latex}$"
    assert g.to_dict()["gradient"] == ["2*x1*x2", "x1**2"]
    assert g.matrix == sympy.Matrix([2 * x1 * x2, x1**2])


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"f": 3}, "f has no variables; say which ones"),
        ({"f": "x*y", "wrt": []}, "wrt must name at least one variable"),
        ({"f": "x*y", "wrt": ["x", "x"]}, "wrt names x more than once"),
        ({"f": "x*y", "wrt": [1]}, "wrt must hold variable names, got 1"),
        ({"f": "x*y", "wrt": 5}, "wrt must be a variable name or a list of names"),
        ({"f": "x*y", "at": {"x": 1}}, "at: missing value for variable y"),
        ({"f": "x*y", "at": {"x": 1, "y": 2, "z": 3}}, "at: unknown variable z"),
        ({"f": "x*y", "at": [1, 2, 3]}, "at has 3 values but wrt has 2 variables"),
        ({"f": "x*y", "at": 1.0}, "at must give a value for each of x, y"),
        ({"f": "x*y", "at": {"x": "a", "y": 1}}, "at: value of x must be a number"),
        ({"f": "x*y", "at": {"x": np.inf, "y": 1}}, "at: value of x must be finite"),
        ({"f": "x*y", "at": {"x": True, "y": 1}}, "at: value of x must be a number"),
        ({"f": "x*y", "x": [1, 2], "at": [1, 2]}, "give the point once"),
        ({"f": "x*y", "step": 0.1}, "options step apply to Python callables"),
        ({"f": object()}, "f must be an expression or a callable, got object"),
        ({"f": np.sin}, "a numerical gradient needs the point"),
        ({"f": np.sin, "at": [1.0], "wrt": "x"}, "wrt applies to expressions"),
    ],
)
def test_gradient_validation(kwargs, message):
    f = kwargs.pop("f")
    with pytest.raises(DfdxError) as info:
        gradient(f, **kwargs)
    assert message in str(info.value)


def test_gradient_of_callable_delegates_to_numeric_engine():
    pytest.importorskip("dfdx.numeric")
    res = gradient(lambda v: 3 * v[0] ** 2 + 5 * np.exp(v[1]), [1.0, 0.0])
    np.testing.assert_allclose(res.df, [6.0, 5.0], rtol=1e-8)


# -- Jacobian and Hessian ---------------------------------------------------


def test_jacobian_symbolic_and_numeric():
    J = jacobian(["x*y", "x + y^2", "sin(x)"])
    assert isinstance(J, SymbolicJacobian)
    assert J.shape == (3, 2)
    assert str(J) == "[[y, x], [1, 2*y], [cos(x), 0]]"
    assert J[2, 0] == dfdx.parse("cos(x)")
    x, y = sympy.symbols("x y")
    F = sympy.Matrix([x * y, x + y**2, sympy.sin(x)])
    assert sympy.simplify(J.matrix - F.jacobian([x, y])) == sympy.zeros(3, 2)
    np.testing.assert_allclose(
        jacobian(["x*y", "x + y^2", "sin(x)"], at={"x": 0.5, "y": 2}),
        [[2, 0.5], [1, 4], [np.cos(0.5), 0]],
    )
    assert J.latex.startswith("J = ") and "to_dict" in dir(J)
    assert J.to_dict()["matrix"][0] == ["y", "x"]


def test_jacobian_of_one_expression_is_a_row():
    J = jacobian("x1*x2")
    assert J.shape == (1, 2)
    np.testing.assert_array_equal(J.at([2, 3]), [[3, 2]])


@pytest.mark.parametrize(
    ("f", "message"),
    [
        ([], "f must hold at least one expression"),
        (["x", 3.5j], "f[1] must be expression text"),
        (3.5j, "f must be an expression, a list of expressions or a callable"),
    ],
)
def test_jacobian_validation(f, message):
    with pytest.raises(DfdxError) as info:
        jacobian(f)
    assert message in str(info.value)


def test_jacobian_reports_which_entry_is_undefined():
    with pytest.raises(UndefinedError, match="undefined at x = 0"):
        jacobian(["log(x)", "y"], at=[0, 1])


def test_hessian_symbolic_matches_sympy_and_is_symmetric():
    H = hessian("x^2 y + y^3 + exp(x y)")
    assert isinstance(H, SymbolicHessian)
    x, y = sympy.symbols("x y")
    f = x**2 * y + y**3 + sympy.exp(x * y)
    assert sympy.simplify(H.matrix - sympy.hessian(f, (x, y))) == sympy.zeros(2, 2)
    assert H[0, 1] == H[1, 0]
    assert H.function == dfdx.parse("x^2 y + y^3 + exp(x y)")
    assert H.latex.startswith("H = ")
    np.testing.assert_allclose(
        hessian("x^2 y + y^3", at=[1, 2]), [[4.0, 2.0], [2.0, 12.0]]
    )


def test_hessian_undefined_point():
    with pytest.raises(UndefinedError, match="undefined at x = 0"):
        hessian("log(x) + y", at=[0, 1])
    with pytest.raises(UndefinedError, match="no finite value"):
        hessian("x^(3/2) + y", at=[0, 1])


# -- the book's matrix rules -------------------------------------------------


@pytest.mark.parametrize(
    ("expr", "closed"),
    [
        ("A*x", "A.T"),
        ("x.T*A", "A"),
        ("x.T*A*x", "A*x + A.T*x"),
        ("norm(x)^2", "2*x"),
        ("norm(X)^2", "2*X"),
        ("norm(x)", "x/norm(x)"),
    ],
)
@pytest.mark.parametrize("n", [2, 4])
def test_book_rules_symbolic_and_numeric(expr, closed, n):
    r = matrix_rule(expr, n=n, seed=n)
    assert isinstance(r, MatrixRule)
    assert r.gradient == closed
    assert r.symbolic_check
    assert r.numeric_error < 1e-6
    assert r.ok and "ok" in str(r)


def test_book_rules_numerically_against_numpy_formulas():
    """The closed forms themselves, evaluated with NumPy on random A, x,
    against central differences of f (independent of SymPy)."""
    rng = np.random.default_rng(0)
    n = 4
    A = rng.normal(size=(n, n))
    x = rng.normal(size=n)
    X = rng.normal(size=(n, n))
    h = 1e-6
    eye = np.eye(n)

    def grad(f, v):
        return np.array([(f(v + h * e) - f(v - h * e)) / (2 * h) for e in eye])

    np.testing.assert_allclose(grad(lambda v: A @ v, x), A.T, atol=1e-7)
    np.testing.assert_allclose(grad(lambda v: v @ A, x), A, atol=1e-7)
    np.testing.assert_allclose(grad(lambda v: v @ A @ v, x), (A + A.T) @ x, atol=1e-7)
    np.testing.assert_allclose(grad(lambda v: v @ v, x), 2 * x, atol=1e-7)
    np.testing.assert_allclose(
        grad(lambda v: np.linalg.norm(v), x), x / np.linalg.norm(x), atol=1e-7
    )
    gX = np.zeros((n, n))
    for i in range(n):
        for j in range(n):
            E = np.zeros((n, n))
            E[i, j] = h
            gX[i, j] = (np.sum((X + E) ** 2) - np.sum((X - E) ** 2)) / (2 * h)
    np.testing.assert_allclose(gX, 2 * X, atol=1e-6)


def test_gradient_rules_collects_the_book():
    rules = gradient_rules()
    assert [r.expression for r in rules] == [
        "A*x",
        "x.T*A",
        "x.T*A*x",
        "norm(x)^2",
        "norm(X)^2",
        "norm(x)",
    ]
    assert all(r.ok for r in rules)
    assert "column vectors" in rules[0].convention
    assert rules[2].latex == r"\nabla_{x} x^{T} A x = A x + A^{T} x"
    assert rules[4].latex == r"\nabla_{X} \|X\|_F^{2} = 2 X"
    assert rules[5].latex == r"\nabla_{x} \|x\|_2 = \frac{x}{\|x\|_2}"


def test_matrix_rule_other_forms():
    assert matrix_rule("b.T*x + x.T*x").gradient == "b + 2*x"
    assert matrix_rule("norm(x)^4").gradient == "4*norm(x)**2*x"
    assert matrix_rule("norm(x)^4").ok
    assert matrix_rule("3*norm(x)^2 - x.T*A*x").gradient == "-A*x + 6*x - A.T*x"
    r = matrix_rule("x.T*A*x", wrt="A")
    assert r.gradient == "x*x.T" and r.ok


@pytest.mark.parametrize(
    ("args", "kwargs", "message"),
    [
        ((3,), {}, "expr must be text, got int"),
        (("x.T*A*x",), {"n": 1}, "n must be an integer from 2 to 6, got 1"),
        (("x.T*A*x",), {"n": True}, "n must be an integer from 2 to 6"),
        (("x.T*",), {}, "expr: invalid syntax"),
        (("xy*A",), {}, "matrix variables are single letters"),
        (("x.H",), {}, "only .T (transpose) is allowed, got .H"),
        (("x.T*A*y",), {"wrt": "z"}, "wrt='z' is not a variable"),
        (("A*B",), {}, "has no x or X; say which variable with wrt="),
        (("A*x + x.T",), {}, "shapes do not fit"),
        (("norm(x)^0.5",), {}, "exponents must be whole numbers from 1 to 10"),
        (("x^2",), {}, "only norm(...) may be raised to a power"),
        (("exp(x)",), {}, "the only function is norm"),
        (("A",), {"wrt": "A"}, "is an 3×3 matrix; give a scalar or a vector"),
        (("x.T*A*x" * 40,), {}, "expr too long"),
        (("x // 2",), {}, "only + - * @ ^ are allowed"),
        (("[x]",), {}, "List is not allowed"),
        (("norm(x) + x.T*x",), {}, "norm(...) to a power other than 2 must be"),
    ],
)
def test_matrix_rule_validation(args, kwargs, message):
    with pytest.raises(DfdxError) as info:
        matrix_rule(*args, **kwargs)
    assert message in str(info.value)


# --- regressions found by QA -------------------------------------------------


def test_gradient_log_at_minus_one_is_undefined():
    # ∂/∂x log(x) = 1/x is finite at x = -1, but log(-1) is not real
    with pytest.raises(UndefinedError, match="undefined at x = -1"):
        dfdx.gradient("log(x) + y", at=[-1, 1])


def test_gradient_exp_1000_says_overflow_not_undefined():
    # e^1000 ≈ 1.97e434 exists but is beyond float range
    with pytest.raises(UndefinedError, match="too large for a float") as info:
        dfdx.gradient("exp(x) + y", at=[1000, 1])
    assert "1.970E+434" in str(info.value)
    with pytest.raises(UndefinedError, match="too large for a float"):
        dfdx.gradient("exp(x)*y", at=[1000, 0])  # f = 0 but ∂f/∂y = e^1000


def test_hessian_x_abs_x_at_kink():
    # f = x|x|: f' = 2|x|, f'' has left -2 and right 2 at 0 (no Hessian there)
    with pytest.raises(NotDifferentiableError, match="has no Hessian") as info:
        dfdx.hessian("x*abs(x) + y^2", at=[0, 1])
    assert (info.value.left, info.value.right) == (-2, 2)
    # x^2|x| is twice differentiable at 0: f'' = 6|x| = 0
    np.testing.assert_array_equal(dfdx.hessian("x^2*abs(x)", at=[0]), [[0.0]])


@pytest.mark.parametrize("expr", ["norm(A*x)", "norm(x - y)", "norm(2*x)"])
def test_matrix_rule_norm_of_non_variable_is_refused(expr):
    # used to answer x/norm(x) (wrong: ∇‖Ax‖ = AᵀAx/‖Ax‖) and mark it ok
    with pytest.raises(DfdxError, match=r"use the squared norm"):
        matrix_rule(expr)


def test_matrix_rule_norm_ax_squared_against_numpy():
    rng = np.random.default_rng(1)
    for n in (2, 5):
        r = matrix_rule("norm(A*x)^2", n=n)
        assert r.gradient == "2*A.T*A*x" and r.ok
        A = rng.normal(size=(n, n))
        x = rng.normal(size=n)
        h = 1e-6
        num = [
            (np.sum((A @ (x + h * e)) ** 2) - np.sum((A @ (x - h * e)) ** 2)) / (2 * h)
            for e in np.eye(n)
        ]
        np.testing.assert_allclose(2 * A.T @ A @ x, num, rtol=1e-6)


@pytest.mark.parametrize("expr", ["0*x", "x.T*x - x.T*x"])
def test_matrix_rule_identically_zero(expr):
    with pytest.raises(DfdxError, match="identically 0"):
        matrix_rule(expr)


@pytest.mark.parametrize(
    ("expr", "kwargs", "message"),
    [
        ("(2).T", {}, ".T applies to a vector or matrix"),
        ("A*x", {"seed": "a"}, "seed must be a non-negative integer"),
        ("A*x", {"seed": -1}, "seed must be a non-negative integer"),
    ],
)
def test_matrix_rule_bad_seed_and_transpose_of_number(expr, kwargs, message):
    with pytest.raises(DfdxError) as info:
        matrix_rule(expr, **kwargs)
    assert message in str(info.value)


def test_gradient_nested_trig_matches_pytorch():
    # took 12 s (SymPy simplify on each 100-operation component; the time is
    # measured in benchmarks/bench_safety.py); reference values from
    # torch.autograd (float64) at x = y = z = 1
    text = "y/(2 + sin(norm(logsumexp(norm(x, z), sigmoid(y)), z + y/(2 + sin(x)))))"
    g = dfdx.gradient(text, at=[1, 1, 1])
    np.testing.assert_allclose(
        g, [0.02838836431256757, 0.38367323485779864, 0.08184148650485341], rtol=1e-12
    )


def test_gradient_components_are_remembered_until_sympy_s_cache_is_cleared():
    import sympy
    from sympy.core.cache import clear_cache

    import dfdx

    g = dfdx.gradient("tanh(w*x + b)^2", wrt=["w", "b"])
    h = dfdx.gradient("tanh(w*x + b)^2", wrt=["w", "b"])
    assert all(p is q for p, q in zip(g.components, h.components))
    clear_cache()
    k = dfdx.gradient("tanh(w*x + b)^2", wrt=["w", "b"])
    assert k.components[0] is not g.components[0]
    w, x, b = sympy.symbols("w x b")
    f = sympy.tanh(w * x + b) ** 2
    for got, v in zip(k.components, (w, b)):
        assert sympy.simplify(got.sympy - sympy.diff(f, v)) == 0
