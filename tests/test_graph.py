"""Computation graphs: forward values, local derivatives, backward pass,
checked against SymPy and PyTorch's autograd."""

import math

import numpy as np
import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

import dfdx
from dfdx import DfdxError, NotDifferentiableError, UndefinedError
from dfdx.expr import relu, sigmoid, softplus
from dfdx.graph import BackwardStep, trace

try:  # PyTorch is the autodiff oracle (a test-only dependency)
    import torch
except ImportError:  # pragma: no cover
    torch = None

POINT = {"x": 0.7, "y": -1.3, "z": 2.1}

# (expression, note); shared subexpressions are marked "shared"
EXPRESSIONS = [
    "x*y",
    "x + y + z",
    "x*y*z",
    "x^2",
    "x^3 - 2x + 1",
    "x/y",
    "exp(x*y)",
    "log(z)",
    "sin(x)*cos(y)",
    "tan(x)",
    "tanh(x*y + z)",
    "sigmoid(x - y)",
    "relu(x) + relu(y)",
    "softplus(y)",
    "sqrt(z + x^2)",
    "abs(y) * x",
    "x^x",  # both arguments of ** are the same node
    "z^y",
    "max(x, y) + min(y, z)",
    "atan(x/z)",
    "x*y + exp(x*y)",  # shared: x*y used twice
    "sin(x*y) * cos(x*y)",  # shared
    "(x + y)^2 + (x + y)",  # shared
    "exp(x) / (1 + exp(x))",  # shared exp(x)
    "log(1 + exp(x*y)) - x*y",  # shared
    "sigmoid(x) * (1 - sigmoid(x))",  # shared
    "tanh(x)^2 + tanh(x) + 1",  # shared
    "x*x*x + y*y",
    "(x - y)^2 + (y - z)^2 + (z - x)^2",
    "norm(x, y, z)",  # shared squares inside
    "logsumexp(x, y, z)",
    "sqrt(x^2 + y^2) * exp(-z)",
    "x*sin(x) + y*sin(y)",
    "3x^2 + 5exp(y)",  # the chapter's exercise
    "(x*y + z)^3 / (1 + (x*y + z)^2)",  # shared
    "log(-x*y) * (x*y)^2",  # shared
    "sqrt(x^2 + y^2) + 1/sqrt(x^2 + y^2)",  # shared x^2 + y^2
    "cos(z) * exp(cos(z))",  # shared
]

_TORCH_FUNCS = (
    {}
    if torch is None
    else {
        sympy.exp: torch.exp,
        sympy.log: torch.log,
        sympy.sin: torch.sin,
        sympy.cos: torch.cos,
        sympy.tan: torch.tan,
        sympy.tanh: torch.tanh,
        sympy.atan: torch.atan,
        sympy.Abs: torch.abs,
        sigmoid: torch.sigmoid,
        relu: torch.relu,
        softplus: torch.nn.functional.softplus,
    }
)


def to_torch(e, env):
    """Evaluate a SymPy tree with torch ops, recomputing shared subtrees (an
    independent oracle: no node is shared, autograd does the summing)."""
    if e.is_Symbol:
        return env[e.name]
    if e.is_number:
        return torch.tensor(float(e), dtype=torch.float64)
    args = [to_torch(a, env) for a in e.args]
    if e.is_Add:
        out = args[0]
        for a in args[1:]:
            out = out + a
        return out
    if e.is_Mul:
        out = args[0]
        for a in args[1:]:
            out = out * a
        return out
    if e.is_Pow:
        return torch.pow(args[0], args[1])
    if e.func is sympy.Max:
        return torch.maximum(*args)
    if e.func is sympy.Min:
        return torch.minimum(*args)
    return _TORCH_FUNCS[e.func](*args)


def torch_gradient(expr, point):
    env = {
        k: torch.tensor(v, dtype=torch.float64, requires_grad=True)
        for k, v in point.items()
    }
    out = to_torch(expr.sympy, env)
    out.backward()
    return {
        k: (env[k].grad.item() if env[k].grad is not None else 0.0)
        for k in expr.variables
    }


@pytest.mark.parametrize("text", EXPRESSIONS)
def test_backward_matches_sympy(text):
    e = dfdx.parse(text)
    point = {v: POINT[v] for v in e.variables}
    g = trace(e, at=point)
    grads = g.backward()
    assert list(grads) == list(e.variables)
    exact = dfdx.gradient(e, at=point)
    np.testing.assert_allclose(list(grads.values()), exact, rtol=1e-12, atol=1e-14)
    assert g.value == pytest.approx(float(e(**point)), rel=1e-13)


@pytest.mark.skipif(torch is None, reason="PyTorch is not installed")
@pytest.mark.parametrize("text", EXPRESSIONS)
def test_backward_matches_pytorch_autograd(text):
    e = dfdx.parse(text)
    point = {v: POINT[v] for v in e.variables}
    grads = trace(e, at=point).backward()
    ref = torch_gradient(e, point)
    np.testing.assert_allclose(
        list(grads.values()), list(ref.values()), rtol=1e-12, atol=1e-14
    )


def test_at_least_30_expressions_and_shared_ones():
    assert len(EXPRESSIONS) >= 30
    shared = 0
    for text in EXPRESSIONS:
        g = trace(text, at={v: POINT[v] for v in dfdx.parse(text).variables})
        if any(len(g.parents(n.id)) > 1 for n in g.nodes if not n.is_input):
            shared += 1
    assert shared >= 8


def test_node_used_twice_accumulates():
    """The classic micrograd bug: v1 = x*y feeds both + and exp."""
    g = trace("x*y + exp(x*y)", at={"x": 0.0, "y": 2.0})
    assert [n.op for n in g.nodes] == ["input", "input", "x*y", "exp(v1)", "v1 + v2"]
    g.backward()
    assert g["v1"].grad == 2.0  # 1 through + and e^0 = 1 through exp
    assert len(g.parents("v1")) == 2
    assert g["x"].grad == 4.0 and g["y"].grad == 0.0


def test_same_input_twice_in_one_operation():
    g = trace("x^x", at=2.0)
    (edge,) = g.edges
    assert edge.local == pytest.approx(4 * (math.log(2) + 1))
    assert g.backward() == {"x": pytest.approx(4 * (math.log(2) + 1))}


def test_backward_twice_does_not_accumulate():
    g = trace("x*y + x", at=[1.0, 2.0])
    first = g.backward()
    assert g.backward() == first == {"x": 3.0, "y": 1.0}


def test_steps_one_node_at_a_time():
    g = trace("x*y + exp(x*y)", at={"x": 0.0, "y": 2.0})
    steps = list(g.steps())
    assert all(isinstance(s, BackwardStep) for s in steps)
    assert [s.node for s in steps] == ["v3", "v2", "v1", "y", "x"]
    assert str(steps[0]) == "∂f/∂v3 = 1  (the output itself)"
    assert str(steps[2]) == ("∂f/∂v1 = ∂f/∂v2·∂v2/∂v1 + ∂f/∂v3·∂v3/∂v1 = 1·1 + 1·1 = 2")
    assert steps[2].contributions == (("v2", 1.0, 1.0), ("v3", 1.0, 1.0))
    assert str(steps[4]) == "∂f/∂x = ∂f/∂v1·∂v1/∂x = 2·2 = 4"
    # the steps fill in the gradients as they go
    assert g["x"].grad == 4.0


def test_negative_local_derivative_in_parentheses():
    g = trace("-x*y", at=[1.0, 2.0])  # typed: (-x)·y
    text = [str(s) for s in g.steps()]
    assert text[-1].endswith("= 2·(-1) = -2")
    g = trace("x*(-y)", at=[1.0, 2.0])
    text = [str(s) for s in g.steps()]
    assert text[-1].endswith("= 1·(-2) = -2")


def test_single_variable_and_bare_input():
    g = trace("x", at=3)
    assert g.output == "x" and g.backward() == {"x": 1.0}
    g = trace("sin(x)", at=0)
    assert g.backward() == {"x": 1.0}


def test_table_to_dict_and_repr():
    g = trace("x*y + exp(x*y)", at={"x": 0.0, "y": 2.0})
    assert "gradient" in g.table() and repr(g).startswith("ComputationGraph(")
    g.backward()
    d = g.to_dict()
    assert d["output"] == "v3"
    assert d["nodes"][2] == {
        "id": "v1",
        "op": "x*y",
        "value": 0.0,
        "inputs": ["x", "y"],
        "grad": 2.0,
    }
    assert {"from": "x", "to": "v1", "local": 2.0, "formula": "y"} in d["edges"]
    assert str(g).startswith("computation graph of x·y + e^(x·y) at x = 0, y = 2")


def test_node_ids_are_deterministic():
    a = trace("sin(x*y) * cos(x*y) + z", at=POINT)
    b = trace("sin(x*y) * cos(x*y) + z", at=POINT)
    assert [(n.id, n.op, n.inputs) for n in a.nodes] == [
        (n.id, n.op, n.inputs) for n in b.nodes
    ]


@pytest.mark.parametrize(
    ("expr", "at", "error", "message"),
    [
        ("log(x)", {"x": -1}, UndefinedError, "v1 = ln(x) is undefined at x = -1"),
        ("1/x + y", {"x": 0, "y": 1}, UndefinedError, "v1 = 1/x is undefined"),
        ("sqrt(x)", {"x": 0}, NotDifferentiableError, "∂v1/∂x of v1 = √x"),
        ("5", {}, DfdxError, "expr 5 has no variables"),
        ("x*y", {"x": 1}, DfdxError, "at: missing value for variable y"),
        ("x*y", [1, 2, 3], DfdxError, "at has 3 values"),
        ("x*y", {"x": 1, "y": "a"}, DfdxError, "value of y must be a number"),
        (3j, {}, DfdxError, "expr must be expression text"),
    ],
)
def test_validation(expr, at, error, message):
    with pytest.raises(error) as info:
        trace(expr, at=at)
    assert message in str(info.value)


def test_unknown_node_lookup():
    g = trace("x*y", at=[1, 2])
    with pytest.raises(DfdxError, match="no node 'v9'"):
        g["v9"]


def test_big_graphs_are_traced_and_only_their_pictures_refused(monkeypatch):
    """Issue 23: tracing refused anything over 200 operations (an 8-32-1
    loss could not be traced). It works in floats now; only drawing keeps the
    old limit, and a graph past MAX_NODES is refused with its size named."""
    import dfdx.several.graph as graph

    text = " + ".join(f"sin({k}x)*cos({k}x)^{k + 1}" for k in range(1, 45))
    g = trace(text, at=1.0)
    assert len(g.nodes) > graph.MAX_DRAWN_NODES
    x = sympy.Symbol("x")
    exact = sympy.diff(dfdx.parse(text).sympy, x).subs(x, 1.0)
    assert g.backward()["x"] == pytest.approx(float(exact), rel=1e-12)
    with pytest.raises(
        DfdxError,
        match=f"pictures are drawn for graphs of up to {graph.MAX_DRAWN_NODES}",
    ):
        g.to_svg()
    assert g._repr_svg_() is None  # a notebook shows the text instead
    monkeypatch.setattr(graph, "MAX_NODES", 50)
    with pytest.raises(DfdxError, match="more than 50 operations to trace"):
        trace(text, at=1.0)


def test_a_network_loss_past_the_old_limit_matches_torch():
    torch = pytest.importorskip("torch")
    n_in, n_hidden = 8, 32
    xs = [f"x{i}" for i in range(1, n_in + 1)]
    hidden = [
        f"v{j}*tanh({' + '.join(f'w{j}_{i}*x{i}' for i in range(1, n_in + 1))} + b{j})"
        for j in range(1, n_hidden + 1)
    ]
    text = f"(sigmoid({' + '.join(hidden)} + c) - t)^2"
    e = dfdx.parse(text)
    at = {v: 0.05 * ((i * 7) % 11) - 0.2 for i, v in enumerate(e.variables)}
    g = trace(e, at=at)
    assert len(g.nodes) > 600
    ours = g.backward()
    tensors = {
        v: torch.tensor(at[v], dtype=torch.float64, requires_grad=True) for v in at
    }
    total = tensors["c"]
    for j in range(1, n_hidden + 1):
        z = tensors[f"b{j}"]
        for i in range(1, n_in + 1):
            z = z + tensors[f"w{j}_{i}"] * tensors[f"x{i}"]
        total = total + tensors[f"v{j}"] * torch.tanh(z)
    ((torch.sigmoid(total) - tensors["t"]) ** 2).backward()
    for v, tensor in tensors.items():
        assert ours[v] == pytest.approx(tensor.grad.item(), rel=1e-12, abs=1e-15), v
    del xs


# -- pictures -----------------------------------------------------------


def test_svg_is_deterministic_and_labelled(tmp_path):
    def make():
        g = trace("x*y + exp(x*y) - x/y", at={"x": 0.5, "y": 2})
        g.backward()
        return g

    svg1 = make().to_svg()
    p1, p2 = tmp_path / "a.svg", tmp_path / "b.svg"
    make().to_svg(p1)
    make().to_svg(p2)
    assert p1.read_bytes() == p2.read_bytes()
    assert p1.read_text(encoding="utf-8") == svg1
    assert svg1.startswith("<?xml") and "<svg" in svg1
    assert "Date" not in svg1 and "<dc:date>" not in svg1


def test_figure_text_shows_ops_values_gradients():
    g = trace("x*y + exp(x*y)", at={"x": 0.0, "y": 2.0})
    fig = g.figure()
    texts = [t.get_text() for t in fig.axes[0].texts]
    # before backward: gradients not yet computed, shown as such (never 0)
    assert "v1 = x·y\nvalue 0\ngrad ?" in texts
    assert "x\nvalue 0\ngrad ?" in texts
    assert not any("grad 0" in t for t in texts)
    legend = [t.get_text() for t in fig.texts]
    assert any("? = not yet computed" in t for t in legend)
    texts = [t.get_text() for t in g.figure(show_grad=False).axes[0].texts]
    assert "v1 = x·y\nvalue 0" in texts
    g.backward()
    texts = [t.get_text() for t in g.figure().axes[0].texts]
    assert "v1 = x·y\nvalue 0\ngrad 2" in texts
    assert "x\nvalue 0\ngrad 4" in texts
    # one label per edge with the local derivative
    edge_labels = sorted(t for t in texts if "\n" not in t)
    assert edge_labels == sorted(f"{e.local:g}" for e in g.edges)
    assert len(fig.axes[0].patches) == len(g.edges)
    assert g._repr_svg_().startswith("<?xml")


def test_show_grad_runs_backward():
    g = trace("x^2", at=3)
    fig = g.figure(show_grad=True)
    assert "x\nvalue 3\ngrad 6" in [t.get_text() for t in fig.axes[0].texts]


def test_svg_is_identical_across_processes_and_hash_seeds(tmp_path):
    """Node ids and layout must not depend on set or dict order (SymPy
    stores arguments in hashed containers in places)."""
    import os
    import subprocess
    import sys

    code = (
        "import sys, dfdx; "
        "g = dfdx.trace('(sigmoid(w*x + b) - t)^2 + w*x', "
        "at=dict(w=0.5, x=2, b=-0.5, t=1)); g.backward(); g.to_svg(sys.argv[1])"
    )
    src = os.path.join(os.path.dirname(dfdx.__file__), os.pardir)
    outs = []
    for seed in ("1", "2"):
        path = tmp_path / f"g{seed}.svg"
        env = {
            **os.environ,
            "PYTHONHASHSEED": seed,
            "PYTHONPATH": os.path.abspath(src),
            "MPLBACKEND": "Agg",
        }
        subprocess.run(
            [sys.executable, "-c", code, str(path)], check=True, env=env, timeout=60
        )
        outs.append(path.read_bytes())
    assert outs[0] == outs[1]


@pytest.mark.skipif(torch is None, reason="PyTorch is not installed")
@pytest.mark.parametrize("text", ["relu(x) * y", "abs(x) + y", "max(x, y) * 2"])
def test_kinks_follow_pytorch_conventions(text):
    """At relu's and abs's kink the graph uses PyTorch's choice (0), and at a
    tie of max both sides get half, as torch.maximum does."""
    point = {"x": 0.0, "y": 0.0} if "max" in text else {"x": 0.0, "y": 1.5}
    grads = trace(text, at=point).backward()
    ref = torch_gradient(dfdx.parse(text), point)
    assert grads == pytest.approx(ref)


@settings(max_examples=25, deadline=None)
@given(
    x=st.floats(-3, 3, allow_nan=False),
    y=st.floats(-3, 3, allow_nan=False),
)
def test_backward_equals_symbolic_gradient_anywhere(x, y):
    text = "x*y + exp(x*y) + sin(x - y)^2"
    grads = trace(text, at={"x": x, "y": y}).backward()
    exact = dfdx.gradient(text, at={"x": x, "y": y})
    np.testing.assert_allclose(list(grads.values()), exact, rtol=1e-12, atol=1e-12)


def test_to_svg_bad_path_is_a_dfdx_error(tmp_path):
    g = trace("x*y", at=[1, 2])
    with pytest.raises(DfdxError, match="output folder does not exist"):
        g.to_svg(tmp_path / "missing" / "g.svg")
    with pytest.raises(DfdxError, match="output is a folder"):
        g.to_svg(tmp_path)


@pytest.mark.parametrize(
    ("expr", "at", "about"),
    [("exp(x)", 1000, "1.970E+434"), ("x^2", 1e200, "1.000E+400")],
)
def test_trace_overflow_says_overflow_not_undefined(expr, at, about):
    # e^1000 and (1e200)^2 exist; they are beyond float range (max ≈ 1.8e308)
    with pytest.raises(UndefinedError, match="too large for a float") as info:
        trace(expr, at=at)
    assert about in str(info.value)
    with pytest.raises(UndefinedError, match="undefined at x = -1"):
        trace("log(x)", at=-1)


def test_kinks_are_noted_not_silently_subgradients():
    g = dfdx.trace("relu(x) + max(x, y) + abs(y - 1)", at={"x": 0, "y": 1})
    assert len(g.notes) == 2  # abs(y - 1) and relu(x); max(0, 1) is no tie
    assert all("PyTorch's convention (a subgradient)" in n for n in g.notes)
    assert "note: " in str(g)
    assert dfdx.trace("relu(x) + abs(x)", at={"x": 0.5}).notes == ()
    assert g.to_dict()["notes"] == list(g.notes)


# a 2-2-1 network's loss (27 nodes) and a point
_NETWORK = (
    "(sigmoid(w5*tanh(w1*x1 + w2*x2 + b1) + w6*tanh(w3*x1 + w4*x2 + b2) + b3) - t)^2"
)
_NETWORK_AT = dict(
    w1=0.1,
    w2=-0.2,
    w3=0.3,
    w4=0.4,
    w5=0.5,
    w6=-0.6,
    b1=0.1,
    b2=-0.1,
    b3=0.2,
    x1=1,
    x2=2,
    t=1,
)


def _crossings(g):
    """Edges drawn under a box they do not touch: (edge, box) pairs, from the
    drawn figure (box extents as rendered, edge polylines as routed)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.path import Path as MplPath

    fig = g.figure()
    FigureCanvasAgg(fig).draw()
    ax = fig.axes[0]
    to_data = ax.transData.inverted()
    boxes = {}
    for t in ax.texts:
        gid = t.get_gid() or ""
        if gid.startswith("node-"):
            ext = t.get_bbox_patch().get_window_extent()
            boxes[gid[5:]] = ext.transformed(to_data)
    assert set(boxes) == {n.id for n in g.nodes}
    grads = {n.id: n.grad for n in g.nodes}
    sizes = g._box_sizes(None, grads, None)
    lay = g._layout(sizes, False)
    bad = []
    for e, route in zip(g.edges, lay.routes):
        pts = g._route_points(route, lay, sizes)
        for a, b in zip(pts, pts[1:]):
            seg = MplPath([a, b])
            for nid, box in boxes.items():
                if nid not in (e.child, e.parent) and seg.intersects_bbox(
                    box, filled=True
                ):
                    bad.append((e.child, e.parent, nid))
    return fig, bad


@pytest.mark.parametrize(
    "expr, at",
    [
        (  # a 2-2-1 network's loss, 27 nodes
            _NETWORK,
            _NETWORK_AT,
        ),
        # inputs used again many columns later: edges that skip columns
        ("x + y*sin(sin(sin(sin(x*y)))) + exp(y)", dict(x=0.3, y=0.7)),
        # inputs whose gradient is much longer than their value: boxes are
        # sized by the text they show (they were sized by "grad ?")
        ("(sigmoid(w*x) - t)^2 + w", dict(w=1, x=1, t=1)),
        # 40 nodes
        (" + ".join(f"sin({k}*x)" for k in range(1, 20)), dict(x=0.1)),
    ],
)
def test_wide_graphs_have_no_edge_under_another_box_and_nothing_cut(expr, at):
    g = trace(expr, at=at)
    g.backward()
    assert len(g.nodes) <= 40
    fig, bad = _crossings(g)
    assert bad == []
    title = fig._suptitle.get_text().replace("\n", " ")
    from dfdx.text.textbook import textbook

    shown = textbook(g.expression.written, order="none")
    assert shown in title and "..." not in title
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert not any("…" in t for t in texts)
    # every operation is shown whole (long ones wrap onto several lines)
    for n in g.nodes:
        head = n.id if n.is_input else f"{n.id} = {n.shown}"
        assert any(
            t.replace("\n", "").replace(" ", "").startswith(head.replace(" ", ""))
            for t in texts
        )


def test_edge_labels_do_not_cover_each_other():
    g = trace(
        _NETWORK,
        at=_NETWORK_AT,
    )
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    fig = g.figure()
    renderer = FigureCanvasAgg(fig).get_renderer()
    labels = [
        t.get_window_extent(renderer)
        for t in fig.axes[0].texts
        if (t.get_gid() or "").startswith("label-")
    ]
    assert len(labels) == len(g.edges)
    overlaps = [
        (i, j)
        for i in range(len(labels))
        for j in range(i + 1, len(labels))
        if labels[i].overlaps(labels[j])
    ]
    assert overlaps == []


def test_a_crowded_graph_says_so():
    g = trace(" + ".join(f"sin({k}*x)" for k in range(1, 25)), at={"x": 0.1})
    assert len(g.nodes) > 40
    legend = " ".join(t.get_text() for t in g.figure().texts)
    assert f"{len(g.nodes)} nodes: beyond 40 the picture is crowded" in legend


def test_backward_reads_each_nodes_parents_from_an_index():
    """backward found a node's parents by scanning every edge for every node
    (O(nodes x edges)); they are indexed once, in edge order, and the
    gradients are the same as torch's."""
    torch = pytest.importorskip("torch")
    text = "(sigmoid(0.3*tanh(0.5*x + 0.1*y) - 0.2*tanh(x*y)) - 0.5)^2"
    g = dfdx.trace(text, at={"x": 0.4, "y": -1.3})
    for node in g.nodes:
        assert g.parents(node.id) == tuple(e for e in g.edges if e.child == node.id)
    x = torch.tensor(0.4, dtype=torch.float64, requires_grad=True)
    y = torch.tensor(-1.3, dtype=torch.float64, requires_grad=True)
    loss = (
        torch.sigmoid(0.3 * torch.tanh(0.5 * x + 0.1 * y) - 0.2 * torch.tanh(x * y))
        - 0.5
    ) ** 2
    loss.backward()
    grads = g.backward()
    assert grads["x"] == pytest.approx(float(x.grad), rel=1e-12)
    assert grads["y"] == pytest.approx(float(y.grad), rel=1e-12)


_FAST_CASES = [
    ("x*y + exp(x*y)", {"x": 0.3, "y": -1.2}),
    ("(sigmoid(w*x + b) - t)^2", {"w": 0.5, "x": 2.0, "b": -0.5, "t": 1.0}),
    ("tanh(2x + 1)*sin(x) - log(x^2 + 1)/x", {"x": 0.7}),
    ("x*x*x + 3^x - 2^(x*y) + cos(y)^3", {"x": 1.3, "y": 0.4}),
    ("atan(x)*sinh(y) + cosh(x*y) - tan(x)", {"x": 0.2, "y": 0.9}),
    ("x^0.5 + y^(-2) + 5*x*y*x", {"x": 2.0, "y": 3.0}),
]


@pytest.mark.parametrize("text, at", _FAST_CASES)
def test_the_float_rules_give_what_sympy_gives(text, at, monkeypatch):
    """Issue 23: tracing works out each node's value and local derivatives in
    floats from a table of rules instead of a SymPy derivative per node. Every
    edge (its value and its formula) and every gradient equals the symbolic
    path's, which is kept for what the table does not cover."""
    import dfdx.several.graph as graph

    fast = trace(text, at=at)
    fast_grad = fast.backward()
    monkeypatch.setattr(graph, "_numeric_node", lambda *a: None)
    slow = trace(text, at=at)
    slow_grad = slow.backward()
    assert [(e.child, e.parent, e.formula) for e in fast.edges] == [
        (e.child, e.parent, e.formula) for e in slow.edges
    ]
    for a, b in zip(fast.edges, slow.edges, strict=True):
        assert a.local == pytest.approx(b.local, rel=1e-13, abs=1e-300)
    assert [n.op for n in fast.nodes] == [n.op for n in slow.nodes]
    for k in slow_grad:
        assert fast_grad[k] == pytest.approx(slow_grad[k], rel=1e-12)
