"""Computation graphs: the forward pass, the backward pass, and a picture.

:func:`trace` breaks an expression into primitive operations (one node per
distinct subexpression, so a subexpression used twice is one node with two
parents), computes the value at each node for a given point, and the local
derivative on each edge. :meth:`ComputationGraph.backward` then runs
backpropagation: each node's gradient is the sum, over the nodes that use it,
of (their gradient) × (the local derivative on the edge). That sum over
parents is the multivariate chain rule (:mod:`dfdx.several.chain`) computed one node
at a time; forgetting it for a node used twice is the classic autodiff bug.

Node ids are deterministic: inputs keep their names, intermediate nodes are
``v1, v2, ...`` in evaluation order. Pictures use a small layered layout of our
own (columns by depth) drawn with matplotlib, without any system binary such as
Graphviz; the same graph always gives the same SVG bytes.
"""

from __future__ import annotations

import functools
import io
import math
import re
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import sympy

from dfdx.core._bounded import bounded
from dfdx.core._fonts import one_font_warning
from dfdx.core.i18n import check_lang, localise
from dfdx.errors import DfdxError, NotDifferentiableError, UndefinedError
from dfdx.exact.symbolic import _finite_number as _float
from dfdx.exact.symbolic import _fmt_number, at_kink
from dfdx.text.builder import replace_written
from dfdx.text.codegen import number_value
from dfdx.text.expr import Expression, as_expression
from dfdx.text.functions import sigmoid
from dfdx.text.textbook import for_people, textbook

#: The words of the graph's picture, in English and Chinese.
_WORDS = {
    "value": ("value", "值"),
    "grad": ("grad", "梯度"),
    "title": ("f = {f}   at {point}", "f = {f}，在 {point} 处"),
    "legend": (
        "red: local derivative ∂(node)/∂(input) on each edge",
        "红色：每条边上的局部导数 ∂(节点)/∂(输入)",
    ),
    "legend_grad": (
        ";  grad = ∂f/∂node from the backward pass",
        "；梯度 = 反向传播得到的 ∂f/∂节点",
    ),
    "legend_pending": (" (? = not yet computed)", "（? = 尚未计算）"),
    "crowded": (
        ".  {n} nodes: beyond {limit} the picture is crowded; .table() lists "
        "every node",
        "。共 {n} 个节点：超过 {limit} 个时图很拥挤；.table() 列出全部节点",
    ),
}


def text_width(text: str) -> int:
    """Width of `text` in monospace cells: Chinese characters take two."""
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


__all__ = [
    "trace",
    "ComputationGraph",
    "Node",
    "Edge",
    "BackwardStep",
    "MAX_NODES",
    "MAX_DRAWN_NODES",
]

#: Most nodes a traced graph may have (tracing works in floats and is linear
#: in the nodes; above this, a clear refusal that names the size).
MAX_NODES = 100_000
#: Most nodes a picture (figure, SVG, animation) is drawn for.
MAX_DRAWN_NODES = 200
#: Above this many nodes the picture says that it is crowded.
READABLE_NODES = 40

# the picture, in inches: rows, gaps between columns, margins; the boxes' font
_ROW = 0.95
_GAP = 1.0
#: level stretch of an edge beside a column, so that a steep edge keeps clear
#: of the boxes next to the one it enters
_STUB = 0.12
_MARGIN = 0.3
_FONT_PT = 8
#: characters per line of an operation in a box (longer ones wrap)
_WRAP = 22


@dataclass(frozen=True)
class _Layout:
    xy: dict  # node id or waypoint -> (x, y) in inches
    routes: list  # per edge: [child, waypoint..., parent]
    half: dict  # column -> half width of its widest box
    layer: dict  # node id -> column
    width: float
    height: float
    top: float  # the drawing spans y in [-top, top]
    head: float  # inches above it for the title (and caption)


_NO_DEFAULT = object()


class _Text:
    """A text field of a node or edge that may be given as a function of no
    arguments, written when first read: a traced network's labels cost more
    than its numbers, and most are never shown (a dataclass field with this
    descriptor as its default; without `default` the field is required)."""

    def __init__(self, default=_NO_DEFAULT):
        self.default = default

    def __set_name__(self, owner, name: str) -> None:
        self.slot = f"_text_{name}"

    def __get__(self, obj, owner=None):
        if obj is None:
            if self.default is _NO_DEFAULT:
                raise AttributeError(self.slot)  # the dataclass: no default
            return self.default
        value = obj.__dict__[self.slot]
        if callable(value):
            value = value()
            obj.__dict__[self.slot] = value
        return value

    def __set__(self, obj, value) -> None:
        if isinstance(value, _Text):  # field(default=_Text(...)) passes itself
            value = value.default
        obj.__dict__[self.slot] = value


@dataclass
class Node:
    """One node of a computation graph.

    Attributes
    ----------
    id : str
        ``x1`` for an input, ``v3`` for an intermediate result.
    op : str
        ``input``, or the operation in terms of the children's ids
        (``v1*x2``, ``sin(v1)``, ``v2**2``).
    value : float
        The forward value at the traced point.
    inputs : tuple of str
        Ids of the children (the nodes this one is computed from).
    grad : float or None
        ∂output/∂node, set by :meth:`ComputationGraph.backward`.
    """

    id: str
    op: str = _Text()  # type: ignore[assignment]
    value: float  # type: ignore[misc]  # op has no default: _Text() without one
    inputs: tuple[str, ...] = ()
    grad: float | None = None
    expr: sympy.Expr | None = field(default=None, repr=False, compare=False)
    #: the operation in textbook notation (``v2^2``, ``w·x``), for pictures
    shown: str = field(default=_Text(""), repr=False, compare=False)  # type: ignore[assignment]

    @property
    def is_input(self) -> bool:
        # the stored op, not written out: an operation's label is written
        # only when read, and an input's is the word itself
        return self.__dict__["_text_op"] == "input"


@dataclass(frozen=True)
class Edge:
    """A child → parent edge with the local derivative ∂parent/∂child."""

    child: str
    parent: str
    local: float
    formula: str = _Text("")  # type: ignore[assignment]


@dataclass(frozen=True)
class BackwardStep:
    """One node of the backward pass: its gradient as a sum over its parents.

    Attributes
    ----------
    node : str
    grad : float
        ∂output/∂node.
    contributions : tuple of (parent, upstream gradient, local derivative)
        One per parent; the products add up to `grad`. Empty for the output
        (whose gradient is 1).
    """

    node: str
    grad: float
    contributions: tuple[tuple[str, float, float], ...]
    output: str = "f"

    def __str__(self) -> str:
        lhs = f"∂{self.output}/∂{self.node}"
        if not self.contributions:
            return f"{lhs} = 1  (the output itself)"
        symbolic = " + ".join(
            f"∂{self.output}/∂{p}·∂{p}/∂{self.node}" for p, _, _ in self.contributions
        )
        numeric = " + ".join(
            f"{_num(up)}·{_paren(loc)}" for _, up, loc in self.contributions
        )
        return f"{lhs} = {symbolic} = {numeric} = {_num(self.grad)}"


def _paren(v: float) -> str:
    return f"({_num(v)})" if v < 0 else _num(v)


def _num(v: float) -> str:
    if v == 0:
        return "0"
    if float(v).is_integer() and abs(v) < 1e15:
        return str(int(v))
    return f"{v:.6g}"


class ComputationGraph:
    """A traced expression: nodes in evaluation order, edges with local
    derivatives, and (after :meth:`backward`) the gradient at every node.

    Build one with :func:`trace`.

    Attributes
    ----------
    expression : Expression
    point : dict of str to float
    nodes : tuple of Node
        Inputs first (natural order), then intermediate nodes in evaluation
        order; the last node is the output.
    edges : tuple of Edge
    output : str
        Id of the output node.
    notes : tuple of str
        Kinks met at the point (``abs``/``relu`` at 0, ``max``/``min`` ties):
        there the local derivative is PyTorch's convention, a subgradient, and
        the "gradient" is not a derivative of f.
    """

    def __init__(self, expression, point, nodes, edges, output, notes=()):
        self.expression: Expression = expression
        self.point: dict[str, float] = point
        self.nodes: tuple[Node, ...] = tuple(nodes)
        self.edges: tuple[Edge, ...] = tuple(edges)
        self.output: str = output
        #: Warnings about the point, e.g. kinks where a local derivative is
        #: PyTorch's subgradient convention rather than a derivative.
        self.notes: tuple[str, ...] = tuple(notes)
        self._by_id = {n.id: n for n in self.nodes}
        # each node's parent edges, indexed once (in edge order): backward
        # looked them up by scanning every edge for every node, O(nodes x edges)
        self._parents: dict[str, list[Edge]] = {}
        for e in self.edges:
            self._parents.setdefault(e.child, []).append(e)

    # -- access ------------------------------------------------------------
    def __getitem__(self, node_id: str) -> Node:
        try:
            return self._by_id[node_id]
        except KeyError:
            raise DfdxError(
                f"no node {node_id!r} (nodes: {', '.join(self._by_id)})"
            ) from None

    def __len__(self) -> int:
        return len(self.nodes)

    @property
    def value(self) -> float:
        """The output's value."""
        return self._by_id[self.output].value

    @property
    def inputs(self) -> tuple[str, ...]:
        return tuple(n.id for n in self.nodes if n.is_input)

    def parents(self, node_id: str) -> tuple[Edge, ...]:
        """Edges from `node_id` to the nodes that use it."""
        return tuple(self._parents.get(node_id, ()))

    # -- backward ----------------------------------------------------------
    def steps(self) -> Iterator[BackwardStep]:
        """The backward pass one node at a time, from the output back to the
        inputs; each step sets that node's ``grad``."""
        for n in self.nodes:
            n.grad = None
        name = "f"
        for n in reversed(self.nodes):
            if n.id == self.output:
                n.grad = 1.0
                yield BackwardStep(n.id, 1.0, (), name)
                continue
            contributions = []
            total = 0.0
            for e in self.parents(n.id):
                up = self._by_id[e.parent].grad
                if up is None:  # pragma: no cover - parents come later in order
                    raise RuntimeError("graph is not in evaluation order")
                contributions.append((e.parent, up, e.local))
                total += up * e.local
            n.grad = total
            yield BackwardStep(n.id, total, tuple(contributions), name)

    @bounded("run the backward pass")
    def backward(self) -> dict[str, float]:
        """Run backpropagation; return {input name: ∂output/∂input}.

        Every node's ``grad`` is set (upstream × local, summed over the
        node's parents). Calling it again recomputes; it never accumulates
        across calls.
        """
        # what steps() computes, without a BackwardStep per node
        for n in self.nodes:
            n.grad = None
        by_id = self._by_id
        for n in reversed(self.nodes):
            if n.id == self.output:
                n.grad = 1.0
                continue
            total = 0.0
            for e in self._parents.get(n.id, ()):
                total += by_id[e.parent].grad * e.local
            n.grad = total
        return {n.id: float(n.grad) for n in self.nodes if n.is_input}  # type: ignore[arg-type]

    # -- display -----------------------------------------------------------
    def table(self) -> str:
        """The nodes as a text table (id, operation, value, gradient)."""
        rows = [("node", "operation", "value", "gradient")]
        for n in self.nodes:
            grad = "" if n.grad is None else _num(n.grad)
            rows.append((n.id, n.shown or n.op, _num(n.value), grad))
        widths = [max(len(r[i]) for r in rows) for i in range(4)]
        return "\n".join(
            "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip()
            for r in rows
        )

    def __str__(self) -> str:
        text = (
            f"computation graph of {textbook(self.expression.written, order='none')} at "
            f"{_point_text(self.point)}\n" + self.table()
        )
        return "\n".join([text, *(f"note: {n}" for n in self.notes)])

    def __repr__(self) -> str:
        return (
            f"ComputationGraph({str(self.expression)!r}, {len(self.nodes)} nodes, "
            f"value={_num(self.value)})"
        )

    def to_dict(self) -> dict:
        return {
            "expression": str(self.expression),
            "point": dict(self.point),
            "output": self.output,
            "notes": list(self.notes),
            "nodes": [
                {
                    "id": n.id,
                    "op": n.op,
                    "value": n.value,
                    "inputs": list(n.inputs),
                    "grad": n.grad,
                }
                for n in self.nodes
            ],
            "edges": [
                {
                    "from": e.child,
                    "to": e.parent,
                    "local": e.local,
                    "formula": e.formula,
                }
                for e in self.edges
            ],
        }

    # -- pictures ----------------------------------------------------------
    def layers(self) -> dict[str, int]:
        """Column of each node in the picture: the output is rightmost, and
        every other node sits one column left of its leftmost user (so each
        input appears next to where it is used and most edges are short)."""
        depth: dict[str, int] = {}
        for n in self.nodes:
            depth[n.id] = 0 if n.is_input else 1 + max(depth[c] for c in n.inputs)
        users: dict[str, list[str]] = {n.id: [] for n in self.nodes}
        for e in self.edges:
            users[e.child].append(e.parent)
        layer: dict[str, int] = {}
        for n in reversed(self.nodes):
            if not users[n.id]:
                layer[n.id] = depth[n.id]
            else:
                layer[n.id] = min(layer[u] for u in users[n.id]) - 1
        low = min(layer.values())
        return {k: v - low for k, v in layer.items()}

    @one_font_warning
    def figure(self, *, show_grad: bool | None = None, lang: str = "en"):
        """A matplotlib Figure of the graph (no pyplot state is touched).

        Data flows left to right to the output; each box shows the
        operation, the value and the gradient (``grad ?`` until
        :meth:`backward` has run: not yet computed, never a made-up 0; with
        ``show_grad=True`` the backward pass is run first, with
        ``show_grad=False`` there is no gradient line); each edge is labelled
        with its local derivative. ``lang='zh'`` writes the words in Chinese.
        """
        from matplotlib.figure import Figure

        check_lang(lang)
        self._check_drawable()
        if show_grad and any(n.grad is None for n in self.nodes):
            self.backward()
        grads = None
        if show_grad is not False:
            grads = {n.id: n.grad for n in self.nodes}
        fig = Figure(figsize=self._size(grads, caption=False, lang=lang), dpi=100)
        self._draw(fig, values=None, grads=grads, lang=lang)
        return fig

    def _size(
        self, grads, caption: bool, widths=None, lang: str = "en"
    ) -> tuple[float, float]:
        """The figure's size in inches for boxes showing `grads` (see _draw)."""
        lay = self._layout(self._box_sizes(None, grads, widths, lang), caption, lang)
        return lay.width, lay.height

    def _box_lines(self, n: Node, values, grads, widths=None, lang="en") -> list[str]:
        head = n.id if n.is_input else f"{n.id} = {n.shown or n.op}"
        # long operations wrap onto more lines: nothing is cut
        lines = [head[i : i + _WRAP] for i in range(0, len(head), _WRAP)]
        shown = values is None or n.id in values
        value, grad = localise(_WORDS, "value", lang), localise(_WORDS, "grad", lang)
        lines.append(f"{value} {_num(n.value) if shown else '?'}")
        if grads is not None:
            g = grads.get(n.id)
            lines.append(f"{grad} {'?' if g is None else _num(g)}")
        if widths is not None:  # a fixed box (monospace: pad with spaces)
            chars = max(max(text_width(t) for t in lines), widths[n.id])
            lines = [_center(t, chars) for t in lines]
        return lines

    def _box_sizes(
        self, values, grads, widths, lang: str = "en"
    ) -> dict[str, tuple[float, float]]:
        """Half width and half height of each box, in inches, from the text it
        shows (8 pt DejaVu Sans Mono, 0.6 em per character, 1.2 lines)."""
        out = {}
        for n in self.nodes:
            lines = self._box_lines(n, values, grads, widths, lang)
            chars = max(text_width(t) for t in lines)
            pad = (0.4 * _FONT_PT + 1.5) / 72
            out[n.id] = (
                chars * 0.602 * _FONT_PT / 2 / 72 + pad,
                len(lines) * 1.2 * _FONT_PT / 2 / 72 + pad,
            )
        return out

    def _layout(self, sizes, caption: bool, lang: str = "en") -> _Layout:
        """Columns by layer; an edge that skips columns passes through a free
        slot of each column between (a waypoint), so that every slanted
        stretch of an edge lies in a gap between columns, where there are no
        boxes: no edge passes under a box it does not touch."""
        layer = self.layers()
        order: dict = {n.id: float(i) for i, n in enumerate(self.nodes)}
        cols: dict[int, list] = {}
        for n in self.nodes:
            cols.setdefault(layer[n.id], []).append(n.id)
        routes: list[list] = []  # each edge: [child, waypoint..., parent]
        for k, e in enumerate(self.edges):
            route: list = [e.child]
            for c in range(layer[e.child] + 1, layer[e.parent]):
                way = ("way", k, c)
                cols[c].append(way)
                order[way] = order[e.child] + 0.5
                route.append(way)
            route.append(e.parent)
            routes.append(route)
        succ: dict = {}
        pred: dict = {}
        for route in routes:
            for a, b in zip(route, route[1:]):
                succ.setdefault(a, []).append(b)
                pred.setdefault(b, []).append(a)
        last = max(cols)
        rank = {key: float(i) for i, key in enumerate(cols[last])}

        def sort(c, nbrs):
            def key(k):
                near = [rank[v] for v in nbrs.get(k, []) if v in rank]
                return (sum(near) / len(near) if near else rank.get(k, 0.0), order[k])

            cols[c].sort(key=key)
            m = len(cols[c])
            for i, k in enumerate(cols[c]):
                rank[k] = i - (m - 1) / 2

        for c in sorted(cols, reverse=True)[1:]:  # right to left, by users
            sort(c, succ)
        for c in sorted(cols)[1:]:  # then left to right, by inputs
            sort(c, pred)
        for c in sorted(cols, reverse=True)[1:]:
            sort(c, succ)
        half = {
            c: max([sizes[k][0] for k in keys if isinstance(k, str)] or [0.1])
            for c, keys in cols.items()
        }
        xs: dict[int, float] = {}
        x = _MARGIN
        for c in sorted(cols):
            x += half[c]
            xs[c] = x
            x += half[c] + _GAP
        width = max(4.5, x - _GAP + _MARGIN)
        rows = max(len(keys) for keys in cols.values())
        xy = {}
        for c, keys in cols.items():
            m = len(keys)
            for i, k in enumerate(keys):
                xy[k] = (xs[c], ((m - 1) / 2 - i) * _ROW)
        top_y = (rows - 1) / 2 * _ROW + _ROW / 2
        title_lines = len(self._title_lines(width, lang))
        head = 0.25 + 0.2 * title_lines + (0.3 if caption else 0.0)
        height = 2 * top_y + head + 0.35
        return _Layout(xy, routes, half, layer, width, height, top_y, head)

    def _title_lines(self, width: float, lang: str = "en") -> list[str]:
        title = localise(
            _WORDS,
            "title",
            lang,
            f=textbook(self.expression.written, order="none"),
            point=_point_text(self.point),
        )
        per_line = max(40, int(width * 72 / (10 * 0.55)))
        if lang != "en":  # Chinese characters are about twice as wide
            per_line = per_line * len(title) // max(text_width(title), 1)
        return textwrap.wrap(title, per_line, break_on_hyphens=False) or [title]

    def _draw(
        self,
        fig,
        *,
        values: set | None,
        grads: dict | None,
        highlight: str | None = None,
        caption: str | None = None,
        widths: dict | None = None,
        lang: str = "en",
    ) -> None:
        """Draw the graph on `fig`: `values` the ids whose value is shown (all
        when None, '?' for the others), `grads` id -> gradient or None (not yet
        computed: '?'; no gradient line when `grads` is None), `highlight`
        the node of this moment, `caption` a line under the title, `widths`
        id -> the text width (in characters) to size each box by."""
        from matplotlib.patches import FancyArrowPatch
        from matplotlib.path import Path as MplPath

        sizes = self._box_sizes(values, grads, widths, lang)
        lay = self._layout(sizes, caption is not None, lang)
        width, height = fig.get_size_inches()
        # one data unit is one inch in both directions: boxes are sized in inches
        ax = fig.add_axes((0.0, 0.35 / height, 1.0, 2 * lay.top / height))
        ax.set_axis_off()
        ax.set_xlim(0.0, width)
        ax.set_ylim(-lay.top, lay.top)
        title = "\n".join(self._title_lines(width, lang))
        fig.suptitle(title, fontsize=10, y=1.0 - 0.1 / height, va="top")
        if caption:
            fig.text(
                0.5,
                1.0 - (lay.head - 0.22) / height,
                self._caption_text(caption, width),
                ha="center",
                va="top",
                fontsize=8.5,
                color="#b91c1c",
                gid="caption",
            )
        fig.text(
            0.01,
            0.01,
            self._legend_text(grads, lang),
            fontsize=7,
            color="#6b7280",
            gid="legend",
        )
        for n in self.nodes:
            ax.text(
                *lay.xy[n.id],
                "\n".join(self._box_lines(n, values, grads, widths, lang)),
                ha="center",
                va="center",
                fontsize=_FONT_PT,
                family="DejaVu Sans Mono",
                gid=f"node-{n.id}",
                bbox={"boxstyle": "round,pad=0.4", **self._box_style(n, highlight)},
                zorder=3,
            )
        placed: list[tuple[float, float, float, float]] = []
        for e, route in zip(self.edges, lay.routes, strict=True):
            points = self._route_points(route, lay, sizes)
            ax.add_patch(
                FancyArrowPatch(
                    path=MplPath(points),
                    arrowstyle="-|>",
                    mutation_scale=10,
                    color="#6b7280",
                    linewidth=0.9,
                    zorder=1,
                    gid=f"edge-{e.child}-{e.parent}",
                )
            )
            # the label on the last slanted stretch (a gap between two
            # columns, where no box is), where it covers no other label
            (ax0, ay0), (ax1, ay1) = points[-3], points[-2]
            text = _num(e.local)
            w, h = len(text) * 0.6 * 7 / 72 / 2 + 0.02, 7 * 1.2 / 72 / 2 + 0.01
            for t in (0.5, 0.3, 0.7, 0.2, 0.8, 0.4, 0.6):
                lx, ly = ax0 + t * (ax1 - ax0), ay0 + t * (ay1 - ay0)
                if not any(
                    abs(lx - px) < w + pw and abs(ly - py) < h + ph
                    for px, py, pw, ph in placed
                ):
                    break
            placed.append((lx, ly, w, h))
            ax.text(
                lx,
                ly,
                text,
                ha="center",
                va="center",
                fontsize=7,
                color="#b91c1c",
                bbox={
                    "boxstyle": "round,pad=0.1",
                    "facecolor": "white",
                    "edgecolor": "none",
                    "alpha": 0.9,
                },
                zorder=2,
                gid=f"label-{e.child}-{e.parent}",
                # ∂parent/∂child needs the parent's inputs' values: in a
                # forward frame before the parent is computed it does not
                # exist yet (placed all the same, so labels never jump)
                visible=self._label_shown(e, values),
            )
        if lang != "en":  # Chinese words: the CJK fallback font for them
            from dfdx.core._fonts import prepare_figure

            prepare_figure(fig)

    @staticmethod
    def _label_shown(edge, values) -> bool:
        """Whether an edge's local derivative is shown when `values` are."""
        return values is None or edge.parent in values

    @staticmethod
    def _caption_text(caption: str, width: float) -> str:
        return "\n".join(textwrap.wrap(caption, int(width * 72 / (8.5 * 0.55))))

    def _legend_text(self, grads, lang: str) -> str:
        legend = localise(_WORDS, "legend", lang)
        if grads is not None:
            legend += localise(_WORDS, "legend_grad", lang)
            if any(g is None for g in grads.values()):
                legend += localise(_WORDS, "legend_pending", lang)
        if len(self.nodes) > READABLE_NODES:
            legend += localise(
                _WORDS, "crowded", lang, n=len(self.nodes), limit=READABLE_NODES
            )
        return legend

    def _box_style(self, n, highlight) -> dict:
        """A node box's colours: the node of the moment in red."""
        face = "#dbeafe" if n.is_input else "#fef3c7"
        if n.id == self.output:
            face = "#dcfce7"
        lit = n.id == highlight
        return {
            "facecolor": "#fecaca" if lit else face,
            "edgecolor": "#b91c1c" if lit else "#374151",
            "linewidth": 2.0 if lit else 0.8,
        }

    def _route_points(self, route, lay, sizes) -> list[tuple[float, float]]:
        """The polyline of an edge: out of the child's box to the edge of its
        column, slanted across each gap, straight through the free slot of
        each column it skips, into the parent's box."""
        child, parent = route[0], route[-1]
        (xc, yc), (xp, yp) = lay.xy[child], lay.xy[parent]
        ccol, pcol = lay.layer[child], lay.layer[parent]
        # each column is left and entered level, _STUB clear of its widest box
        pts = [(xc + sizes[child][0], yc), (xc + lay.half[ccol] + _STUB, yc)]
        for way in route[1:-1]:
            x, y = lay.xy[way]
            edge = lay.half[way[2]] + _STUB
            pts += [(x - edge, y), (x + edge, y)]
        pts += [
            (xp - lay.half[pcol] - _STUB, yp),
            (xp - sizes[parent][0] - 0.03, yp),
        ]
        out = [pts[0]]
        for p in pts[1:]:
            if abs(p[0] - out[-1][0]) > 1e-9 or abs(p[1] - out[-1][1]) > 1e-9:
                out.append(p)
        if len(out) == 2:  # a straight edge: its label needs a stretch
            out.insert(1, ((out[0][0] + out[1][0]) / 2, out[0][1]))
        return out

    @one_font_warning
    def animate(self, path=None, *, fps: float = 1.5, lang: str = "en"):
        """The forward pass then the backward pass, one node per frame: each
        value appears as it is computed, then each gradient, the node of the
        moment lit and the step written under the title (the text of
        :meth:`steps`). Returns a :class:`dfdx.plotting.animation.GraphAnimation`;
        with `path` also writes it (.gif, .mp4 with ffmpeg, or .html).
        ``lang='zh'`` writes the words in Chinese."""
        from dfdx.core import _wiring  # figures are above the graph

        anim = _wiring.graph_animation(self, lang=lang)
        if path is not None:
            anim.save(path, fps=fps)
        return anim

    @one_font_warning
    def to_svg(self, path=None, *, lang: str = "en") -> str:
        """The picture as SVG text (deterministic: same graph, same bytes);
        also written to `path` when given."""
        import matplotlib

        fig = self.figure(lang=lang)
        buf = io.StringIO()
        with matplotlib.rc_context({"svg.hashsalt": "dfdx", "svg.fonttype": "path"}):
            fig.savefig(buf, format="svg", metadata={"Date": None})
        svg = buf.getvalue()
        if path is not None:
            from dfdx.core._files import atomic_write

            atomic_write(path, lambda fh: fh.write(svg.encode("utf-8")))
        return svg

    def _repr_svg_(self) -> str | None:
        if len(self.nodes) > MAX_DRAWN_NODES:
            return None  # a notebook shows the text instead
        return self.to_svg()

    def _check_drawable(self) -> None:
        if len(self.nodes) > MAX_DRAWN_NODES:
            raise DfdxError(
                f"the graph has {len(self.nodes)} nodes: pictures are drawn for "
                f"graphs of up to {MAX_DRAWN_NODES}; use .table(), .steps() or "
                ".backward()"
            )


def _center(text: str, cells: int) -> str:
    """`text` centred in `cells` monospace cells (str.center counts a Chinese
    character as one cell; it takes two)."""
    return text.center(cells - (text_width(text) - len(text)))


def _point_text(point: dict[str, float]) -> str:
    return ", ".join(f"{k} = {_fmt_number(v)}" for k, v in point.items())


# ---------------------------------------------------------------------------
# tracing
# ---------------------------------------------------------------------------


def _sigmoid(v: float) -> float:
    """The stable sigmoid of one float (text/functions' _np_sigmoid is the
    same for arrays; through NumPy one scalar costs ten times as much on
    tracing's per-node path)."""
    if v >= 0:
        return 1.0 / (1.0 + math.exp(-v))
    z = math.exp(v)
    return z / (1.0 + z)


#: Smooth one-argument functions traced in floats: value, and the local
#: derivative from the argument v and the value y.
_SMOOTH = {
    sympy.exp: (math.exp, lambda v, y: y),
    sympy.log: (lambda v: math.log(v) if v > 0 else math.nan, lambda v, y: 1.0 / v),
    sympy.sin: (math.sin, lambda v, y: math.cos(v)),
    sympy.cos: (math.cos, lambda v, y: -math.sin(v)),
    sympy.tan: (math.tan, lambda v, y: 1.0 + y * y),
    sympy.tanh: (math.tanh, lambda v, y: 1.0 - y * y),
    sympy.sinh: (math.sinh, lambda v, y: math.cosh(v)),
    sympy.cosh: (math.cosh, lambda v, y: math.sinh(v)),
    sympy.atan: (math.atan, lambda v, y: 1.0 / (1.0 + v * v)),
    sigmoid: (_sigmoid, lambda v, y: y * (1.0 - y)),
}


@functools.lru_cache(maxsize=64)
def _derivative_template(func) -> tuple:
    """(dummy, d/du func(u)) as SymPy writes it: the edge's formula."""
    u = sympy.Dummy("u", real=True)
    return u, sympy.diff(func(u), u)


def _product_formula(args, name: dict, child: str) -> str:
    """∂(product)/∂child: the product of the other factors (summed over the
    positions where the child occurs)."""
    total = 0
    for i in range(len(args)):
        if name.get(i) != child:
            continue
        others = [
            sympy.Symbol(name[j], real=True) if j in name else b
            for j, b in enumerate(args)
            if j != i
        ]
        total += sympy.Mul(*others)
    return sympy.sstr(total)


def _power_formula(child: str, exp) -> str:
    U = sympy.Symbol(child, real=True)
    return sympy.sstr(exp * U ** (exp - 1))


def _exponential_formula(child: str, base) -> str:
    U = sympy.Symbol(child, real=True)
    return sympy.sstr(sympy.diff(base**U, U))


def _function_formula(child: str, func) -> str:
    u, template = _derivative_template(func)
    return sympy.sstr(template.xreplace({u: sympy.Symbol(child, real=True)}))


def _number(a) -> float | None:
    """A constant argument as a finite float, or None."""
    try:
        v = float(a)
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) else None


def _numeric_node(
    node, positions: list[int], child_ids: list[str], child_values: list[float]
):
    """A traced node's value and its local derivatives in floats, from the
    rules of sums, products, powers with a constant base or exponent and the
    smooth functions above: (value, {child id: (local, formula)}), the
    formula a text or a function of no arguments that writes it. `positions`
    are the arguments that are not numbers, computed from `child_ids` with
    `child_values`. None where no rule applies or a number is not finite
    (the symbolic path then gives the value, the derivative or the error
    that names the node)."""
    args = node.args
    at = dict(zip(positions, child_values, strict=True))
    name = dict(zip(positions, child_ids, strict=True))
    number = _number
    local_of: dict[str, tuple[float, Any]]

    try:
        if node.is_Add:
            maybe = [number(a) for i, a in enumerate(args) if i not in at]
            consts = [c for c in maybe if c is not None]
            if len(consts) != len(maybe):
                return None
            value = math.fsum([*at.values(), *consts])
            counts: dict[str, int] = {}
            for i in positions:
                counts[name[i]] = counts.get(name[i], 0) + 1
            local_of = {c: (float(k), str(k)) for c, k in counts.items()}
        elif node.is_Mul:
            maybe = [at[i] if i in at else number(a) for i, a in enumerate(args)]
            vals = [v for v in maybe if v is not None]
            if len(vals) != len(maybe):
                return None
            value = math.prod(vals)
            local: dict[str, float] = {}
            for i in positions:
                if len(vals) == 2:  # w·x: the other factor
                    rest = vals[1 - i]
                else:
                    rest = math.prod(v for j, v in enumerate(vals) if j != i)
                local[name[i]] = local.get(name[i], 0.0) + rest
            local_of = {
                c: (local[c], functools.partial(_product_formula, args, name, c))
                for c in local
            }
        elif node.is_Pow:
            base, exp = args
            if 0 in at and 1 not in at:  # u^n
                n = number(exp)
                u = at[0]
                if n is None or (u <= 0 and not float(n).is_integer()):
                    return None
                value = u**n
                d = n * u ** (n - 1) if n != 0 else 0.0
                local_of = {
                    name[0]: (
                        float(d),
                        functools.partial(_power_formula, name[0], exp),
                    )
                }
            elif 1 in at and 0 not in at:  # b^u, b > 0
                b = number(base)
                if b is None or b <= 0:
                    return None
                value = b ** at[1]
                local_of = {
                    name[1]: (
                        value * math.log(b),
                        functools.partial(_exponential_formula, name[1], base),
                    )
                }
            else:
                return None  # x^x: both positions, left to SymPy
        elif len(args) == 1 and node.func in _SMOOTH and 0 in at:
            fn, dfn = _SMOOTH[node.func]
            v = at[0]
            value = fn(v)
            local_of = {
                name[0]: (
                    float(dfn(v, value)),
                    functools.partial(_function_formula, name[0], node.func),
                )
            }
        else:
            return None
    except (OverflowError, ValueError, ZeroDivisionError):
        return None
    value = float(value)
    if not math.isfinite(value) or not all(
        math.isfinite(loc) for loc, _ in local_of.values()
    ):
        return None
    return value, local_of


@functools.lru_cache(maxsize=16)
def _typed_variables(written: sympy.Expr) -> Expression:
    """The typed tree as an Expression, for its variables and their symbols
    (remembered: sorting a network's variables is a tenth of its trace)."""
    return Expression(written)


def _operation(node: sympy.Expr, child_ids) -> tuple:
    """(the operation with each non-constant argument replaced by its own
    real dummy, one per position (in x**x both positions are the same
    child), unevaluated; the dummies; {dummy: the child's id as a symbol})."""
    dummies: list[sympy.Dummy] = []
    args = []
    for a in node.args:
        if a.is_number:
            args.append(a)
        else:
            d = sympy.Dummy(f"a{len(dummies)}", real=True)
            dummies.append(d)
            args.append(d)
    op_expr = node.func(*args, evaluate=False)
    names = {
        d: sympy.Symbol(c, real=True) for d, c in zip(dummies, child_ids, strict=True)
    }
    return op_expr, dummies, names


def _traced_node(nid: str, labels, value: float, inputs: tuple, expr) -> Node:
    """Node(nid, labels.op, value, inputs, expr=expr, shown=labels.shown),
    its fields set directly (a network has thousands of nodes: the
    dataclass's __init__ with its descriptors was a tenth of a trace)."""
    node = object.__new__(Node)
    node.__dict__.update(
        id=nid,
        _text_op=labels.op,
        value=value,
        inputs=inputs,
        grad=None,
        expr=expr,
        _text_shown=labels.shown,
    )
    return node


def _traced_edge(child: str, parent: str, local: float, formula) -> Edge:
    """Edge(child, parent, local, formula), its fields set directly (it is
    frozen: no __setattr__)."""
    edge = object.__new__(Edge)
    edge.__dict__.update(child=child, parent=parent, local=local, _text_formula=formula)
    return edge


class _Labels:
    """A traced node's operation in terms of its children's ids, in SymPy's
    syntax and in textbook notation, written on first use."""

    __slots__ = ("node", "child_ids", "_texts")

    def __init__(self, node: sympy.Expr, child_ids: tuple[str, ...]):
        self.node = node
        self.child_ids = child_ids
        self._texts: tuple[str, str] | None = None

    def _both(self) -> tuple[str, str]:
        if self._texts is None:
            op_expr, _, names = _operation(self.node, self.child_ids)
            written = replace_written(op_expr, names)
            self._texts = (
                sympy.sstr(written, order="none"),
                textbook(written, order="none"),
            )
        return self._texts

    def op(self) -> str:
        return self._both()[0]

    def shown(self) -> str:
        return self._both()[1]


def _overflows(value: sympy.Expr) -> bool:
    """A finite real number beyond float range (not undefined: too large)."""
    return number_value(value, 30)[0] == "overflow"


@bounded("trace the computation graph")
def trace(expr, at) -> ComputationGraph:
    """Trace an expression at a point into a computation graph.

    Parameters
    ----------
    expr : str, Expression or sympy.Expr
        The function, e.g. ``"x1*x2 + exp(x1*x2)"``. Each distinct
        subexpression becomes one node (``x1*x2`` above is computed once and
        used twice).
    at : mapping, sequence or float
        The point: ``{"x1": 1, "x2": 2}``, values in the order of the
        variables, or one number for one variable.

    Returns
    -------
    ComputationGraph
        Call ``.backward()`` for the gradient, ``.steps()`` to watch it being
        computed, ``.to_svg()`` for the picture.

    Raises
    ------
    UndefinedError
        If a node has no finite real value at the point (the message names
        the node).
    NotDifferentiableError
        If a local derivative is infinite or undefined there.

    Examples
    --------
    >>> import dfdx
    >>> g = dfdx.trace("x1*x2 + exp(x1*x2)", at={"x1": 0, "x2": 2})
    >>> g.backward()
    {'x1': 4.0, 'x2': 0.0}
    >>> print(g.table())
    node  operation  value  gradient
    x1    input      0      4
    x2    input      2      0
    v1    x1·x2      0      2
    v2    e^(v1)     1      1
    v3    v1 + v2    1      1
    >>> print(list(g.steps())[2])  # v1 is used twice: the two paths add
    ∂f/∂v1 = ∂f/∂v2·∂v2/∂v1 + ∂f/∂v3·∂v3/∂v1 = 1·1 + 1·1 = 2
    """
    from dfdx.several.multivariate import _point

    e = as_expression(expr, name="expr")
    # the graph of the typed form: x*x is a product with x used twice, not
    # x**2; x/x is a quotient of x (whose value, 1, has no variable)
    written = e.written
    typed = _typed_variables(written)
    variables = typed.variables
    if not variables:
        raise DfdxError(
            f"expr {for_people(e)} has no variables; there is nothing to trace"
        )
    point = _point(at, variables, variables, e)
    point = {v: point[v] for v in variables}
    # the nodes are the typed tree's own (plain symbols): each operation is
    # worked on with real dummies for its arguments, and only when the
    # float rules do not apply
    root = written
    nodes: list[Node] = []
    edges: list[Edge] = []
    ids: dict[sympy.Expr, str] = {}
    for s in typed.symbols:  # the tree's own objects: a lookup is by identity
        ids[s] = s.name
        nodes.append(Node(s.name, "input", point[s.name], expr=s))
    counter = 0
    notes: list[str] = []
    prefix = _node_prefix(variables)

    def visit(node: sympy.Expr, depth: int = 0) -> str:
        nonlocal counter
        if node in ids:
            return ids[node]
        if depth > 100:
            raise DfdxError("expr is nested too deeply to trace")
        if _is_logsumexp(node):
            return reduction(node, [t.args[0] for t in node.args[0].args], depth)
        if isinstance(node, (sympy.Max, sympy.Min)):
            return reduction(node, list(node.args), depth)
        positions = [i for i, a in enumerate(node.args) if not a.is_number]
        child_ids = [visit(node.args[i], depth + 1) for i in positions]
        counter += 1
        if counter > MAX_NODES:
            raise DfdxError(
                f"expr has more than {MAX_NODES} operations to trace (a graph "
                "of that size takes more memory and time than dfdx allows)"
            )
        nid = f"{prefix}{counter}"
        ids[node] = nid
        fast = _numeric_node(
            node, positions, child_ids, [by_id[c].value for c in child_ids]
        )
        if fast is not None:
            # value and local derivatives in floats, from the table of rules:
            # no SymPy derivative, no 30-digit evaluation per node, and the
            # labels written only when read
            value, local_of = fast
            labels = _Labels(node, tuple(child_ids))
            node_obj = _traced_node(
                nid, labels, value, tuple(dict.fromkeys(child_ids)), node
            )
            nodes.append(node_obj)
            by_id[nid] = node_obj
            for cid, (local, formula) in local_of.items():
                edges.append(_traced_edge(cid, nid, local, formula))
            return nid
        op_expr, dummies, names = _operation(node, child_ids)
        values = {
            d: sympy.Float(by_id[c].value, 30)
            for d, c in zip(dummies, child_ids, strict=True)
        }
        value = _float(op_expr.xreplace(values).doit())
        written = replace_written(op_expr, names)
        label = sympy.sstr(written, order="none")
        shown = textbook(written, order="none")
        where = ", ".join(
            f"{c} = {_num(by_id[c].value)}" for c in dict.fromkeys(child_ids)
        )
        if value is None:
            exact = op_expr.xreplace(values).doit()
            kind, size = number_value(exact, 4)
            if kind == "overflow":
                about = "beyond float range" if size is None else f"about {size}"
                raise UndefinedError(
                    f"{nid} = {shown} at {where} is {about}, "
                    f"too large for a float (overflow; f = {for_people(e)} at "
                    f"{_point_text(point)})"
                )
            raise UndefinedError(
                f"{nid} = {shown} is undefined at {where} "
                f"(f = {for_people(e)} at {_point_text(point)})"
            )
        if at_kink(op_expr.doit(), values):
            notes.append(
                f"{nid} = {shown} is at a kink ({where}): its local derivative "
                "there is PyTorch's convention (a subgradient), so the gradient "
                "is not a true derivative at this point"
            )
        node_obj = Node(
            nid, label, value, tuple(dict.fromkeys(child_ids)), expr=node, shown=shown
        )
        nodes.append(node_obj)
        by_id[nid] = node_obj
        # local derivatives, one edge per distinct child (positions summed)
        seen: dict[str, sympy.Expr] = {}
        for d, cid in zip(dummies, child_ids, strict=True):
            seen[cid] = seen.get(cid, 0) + sympy.diff(op_expr.doit(), d)
        for cid, dexpr in seen.items():
            local = _float(dexpr.xreplace(values).doit())
            if local is None and _overflows(dexpr.xreplace(values).doit()):
                raise UndefinedError(
                    f"the local derivative ∂{nid}/∂{cid} of {nid} = {shown} at "
                    f"{where} is too large for a float (overflow; f = {for_people(e)} at "
                    f"{_point_text(point)})"
                )
            if local is None:
                raise NotDifferentiableError(
                    f"the local derivative ∂{nid}/∂{cid} of {nid} = {shown} "
                    f"is not finite at {where} (f = {for_people(e)} at {_point_text(point)})"
                )
            edges.append(Edge(cid, nid, local, sympy.sstr(dexpr.xreplace(names))))
        return nid

    def reduction(node: sympy.Expr, operands: list, depth: int) -> str:
        """max, min and logsumexp as one node each, evaluated stably: at a tie
        of k arguments max/min pass 1/k of the gradient to each (PyTorch's
        amax/amin); logsumexp's local derivatives are the softmax weights."""
        nonlocal counter
        child_ids = [visit(c, depth + 1) for c in operands if not c.is_number]
        counter += 1
        if counter > MAX_NODES:
            raise DfdxError(
                f"expr has more than {MAX_NODES} operations to trace (a graph "
                "of that size takes more memory and time than dfdx allows)"
            )
        nid = f"{prefix}{counter}"
        ids[node] = nid
        name = "logsumexp" if _is_logsumexp(node) else type(node).__name__.lower()
        const = [float(c) for c in operands if c.is_number]
        values = [by_id[c].value for c in child_ids] + const
        label = f"{name}({', '.join([*child_ids, *map(_num, const)])})"
        where = ", ".join(
            f"{c} = {_num(by_id[c].value)}" for c in dict.fromkeys(child_ids)
        )
        arr = np.array(values, dtype=float)
        if name == "logsumexp":
            top = float(arr.max())
            shifted = np.exp(arr - top)
            value = top + math.log(float(shifted.sum()))
            weights = shifted / shifted.sum()
        else:
            value = float(arr.max() if name == "max" else arr.min())
            tied = arr == value
            weights = tied / tied.sum()
            if tied.sum() > 1:
                notes.append(
                    f"{nid} = {label} is at a tie ({where}): {name} is not "
                    f"differentiable there; the gradient is split evenly among "
                    f"the {int(tied.sum())} tied arguments (PyTorch's amax/amin)"
                )
        node_obj = Node(
            nid, label, value, tuple(dict.fromkeys(child_ids)), expr=node, shown=label
        )
        nodes.append(node_obj)
        by_id[nid] = node_obj
        local: dict[str, float] = {}
        for cid, w in zip(child_ids, weights):
            local[cid] = local.get(cid, 0.0) + float(w)
        for cid, w in local.items():
            formula = (
                f"exp({cid} - {nid})" if name == "logsumexp" else f"{_num(w)} here"
            )
            edges.append(Edge(cid, nid, w, formula))
        return nid

    by_id = {n.id: n for n in nodes}

    out = visit(root)
    return ComputationGraph(e, point, nodes, edges, out, notes)


def _is_logsumexp(node) -> bool:
    """log(exp(a) + exp(b) + ...), the form dfdx's logsumexp parses to."""
    return (
        isinstance(node, sympy.log)
        and node.args[0].is_Add
        and all(isinstance(t, sympy.exp) for t in node.args[0].args)
    )


def _node_prefix(variables) -> str:
    """A letter for node ids (v1, v2, ...) that no variable name uses with
    digits after it, so a node id never reads as a variable."""
    for p in ("v", "u", "t", "n", "node"):
        if not any(re.fullmatch(rf"{p}\d+", v) for v in variables):
            return p
    return "node_"  # pragma: no cover - every prefix is taken
