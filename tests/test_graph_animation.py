"""Issue 11 item 3: the forward and backward pass, one node per frame."""

from __future__ import annotations

import os

import pytest
import torch
from PIL import Image

import dfdx
from dfdx.errors import DfdxError

_NEURON = "(sigmoid(w*x + b) - t)^2"
_AT = {"w": 0.5, "x": 2.0, "b": -0.5, "t": 1.0}


@pytest.fixture(scope="module")
def neuron():
    g = dfdx.trace(_NEURON, at=_AT)
    return g, g.animate()


def _box_texts(anim):
    return [t.get_text() for t in anim.figure.axes[0].texts if "value" in t.get_text()]


def test_frames_forward_then_backward(neuron):
    g, a = neuron
    n = len(g.nodes)
    assert len(a) == 2 * n + 1
    # forward: the values appear one node at a time, in evaluation order
    for i, node in enumerate(g.nodes):
        values, grads, lit = a.states[i]
        assert lit == node.id and values == {m.id for m in g.nodes[: i + 1]}
        assert grads == {}
    # backward: the gradients appear in the order of .steps(), each its value
    steps = list(g.steps())
    for k, st in enumerate(steps):
        values, grads, lit = a.states[n + k]
        assert lit == st.node and grads[st.node] == st.grad
        assert set(grads) == {s.node for s in steps[: k + 1]}
        assert a.captions[n + k] == f"backward: {st}"
    assert a.captions[-1].startswith("done: ∂f/∂b = -0.177447")


def test_gradients_in_the_last_frame_match_torch(neuron):
    g, a = neuron
    t = {
        k: torch.tensor(v, dtype=torch.float64, requires_grad=True)
        for k, v in _AT.items()
    }
    loss = (torch.sigmoid(t["w"] * t["x"] + t["b"]) - t["t"]) ** 2
    loss.backward()
    grads = a.states[-1][1]
    for k in _AT:
        assert grads[k] == pytest.approx(t[k].grad.item(), rel=1e-12)


def test_drawn_boxes_show_unknowns_as_question_marks(neuron):
    g, a = neuron
    a.draw(0)  # only the first input's value is known
    texts = _box_texts(a)
    assert sum("value ?" in t for t in texts) == len(g.nodes) - 1
    assert all("grad ?" in t for t in texts)
    a.draw(len(a) - 1)
    texts = _box_texts(a)
    assert not any("?" in t for t in texts)
    # boxes keep their size: every frame pads to the same text width
    widths = set()
    for i in (0, len(g.nodes), len(a) - 1):
        a.draw(i)
        widths.add(tuple(len(t.split("\n")[1]) for t in _box_texts(a)))
    assert len(widths) == 1


def test_lit_node_is_outlined(neuron):
    g, a = neuron
    a.draw(3)
    lit = [
        t
        for t in a.figure.axes[0].texts
        if t.get_bbox_patch() is not None and t.get_bbox_patch().get_linewidth() > 1.5
    ]
    assert len(lit) == 1 and lit[0].get_text().lstrip().startswith(a.states[3][2])


def test_gif_and_html(neuron, tmp_path):
    g, a = neuron
    a.save(tmp_path / "bp.gif")
    with Image.open(tmp_path / "bp.gif") as im:
        assert im.n_frames == len(a)
    a.save(tmp_path / "bp.html")
    assert (tmp_path / "bp.html").read_text(encoding="utf-8").count(
        "data:image/png"
    ) == len(a)
    assert sorted(os.listdir(tmp_path)) == ["bp.gif", "bp.html"]


def test_too_large_a_graph_is_refused():
    big = " + ".join(f"sin({k}*x)" for k in range(1, 20))  # 39 nodes
    with pytest.raises(DfdxError, match="more than 60"):
        dfdx.trace(big, at=1.0).animate()


def test_cli(tmp_path, capsys):
    from dfdx.cli import main

    out = tmp_path / "bp.gif"
    code = main(["graph", "x*y + x", "--at", "x=1,y=2", "--animate", str(out)])
    assert code == 0 and "frames" in capsys.readouterr().out
    with Image.open(out) as im:
        assert im.n_frames == 2 * 4 + 1
    assert (
        main(["graph", "x*y", "--at", "x=1,y=2", "--animate", str(tmp_path / "a.svg")])
        == 2
    )


def _edge_labels(anim):
    from dfdx.several.graph import _num

    ax = anim.figure.axes[0]
    locals_ = {_num(e.local) for e in anim.graph.edges}
    return [
        t.get_text() for t in ax.texts if t.get_visible() and t.get_text() in locals_
    ]


def test_edge_values_appear_only_once_they_exist(neuron):
    # issue 24: forward frame 6 showed 'v5 = ?' while the edge v5 -> v6
    # already read -0.755; an edge's local derivative needs its parent's
    # inputs, which exist once the parent is computed
    g, a = neuron
    n = len(g.nodes)
    for i, node in enumerate(g.nodes):
        a.draw(i)
        done = {m.id for m in g.nodes[: i + 1]}
        expected = sorted(_num_of(e.local) for e in g.edges if e.parent in done)
        assert sorted(_edge_labels(a)) == expected, (i, node.id)
    a.draw(n)  # the backward pass: every edge's value is shown
    assert len(_edge_labels(a)) == len(g.edges)
    a.draw(0)


def _num_of(v):
    from dfdx.several.graph import _num

    return _num(v)
