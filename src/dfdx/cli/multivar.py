"""``dfdx grad``, ``dfdx chain`` and ``dfdx graph``: several variables, the
chain rule, and backpropagation on a computation graph."""

from __future__ import annotations

import os

from dfdx.cli._common import add_command, add_lang, parse_point, print_json

_GRAD_EXAMPLES = """\
  dfdx grad "3x1^2 + 5exp(x2)"                     exact gradient [6*x1, 5*exp(x2)]
  dfdx grad "3x1^2 + 5exp(x2)" --at x1=1,x2=0      its value [6, 5]
  dfdx grad "norm(x1, x2, x3)" --at x1=0,x2=0,x3=0 undefined at 0: says why
  dfdx grad "x^2 y" --wrt y,x --hessian            gradient and Hessian, y first
  dfdx grad "(sigmoid(w1*x1 + w2*x2) - t)^2" --shared    shared parts named once
  dfdx grad "(sigmoid(w1*x1 + w2*x2) - t)^2" --code      a NumPy function of it
  dfdx grad "x.T*A*x" --matrix                     vector form: (A + A.T)x, checked
  dfdx grad --rules                                the book's matrix rules, checked
"""

_CHAIN_EXAMPLES = """\
  dfdx chain "u = f(x, y, z); x = x(a, b); y = y(a, b); z = z(a, b)" --wrt a
  dfdx chain "u = x*y + z^2; x = a + b; y = a - b; z = a*b" --wrt a
"""

_GRAPH_EXAMPLES = """\
  dfdx graph "x1*x2 + exp(x1*x2)" --at x1=0,x2=2             nodes, values, gradients
  dfdx graph "x1*x2 + exp(x1*x2)" --at x1=0,x2=2 --steps     the backward pass
  dfdx graph "x1*x2 + exp(x1*x2)" --at x1=0,x2=2 -o graph.svg
  dfdx graph "(sigmoid(w*x + b) - t)^2" --at w=0.5,x=2,b=-0.5,t=1 --animate bp.gif
"""


def register(sub, common) -> None:
    p = add_command(
        sub,
        "grad",
        help="exact gradient (and Hessian) of an expression in several variables",
        examples=_GRAD_EXAMPLES,
        parents=[common],
    )
    p.add_argument("expr", nargs="?", help="the function, e.g. '3x1^2 + 5exp(x2)'")
    p.add_argument(
        "--at", type=parse_point, metavar="X1=V,...", help="evaluate at this point"
    )
    p.add_argument(
        "--wrt", metavar="NAMES", help="variables in order, e.g. x2,x1 (default: all)"
    )
    p.add_argument("--hessian", action="store_true", help="also the Hessian")
    p.add_argument(
        "--shared",
        action="store_true",
        help="write the subexpressions the entries share once, named g1, g2, ...",
    )
    p.add_argument(
        "--code",
        action="store_true",
        help="print a standalone NumPy function computing the gradient",
    )
    p.add_argument(
        "--matrix",
        action="store_true",
        help="EXPR uses vector/matrix variables (x.T*A*x, norm(x)^2, norm(X)^2)",
    )
    p.add_argument(
        "-n", type=int, default=3, help="size for --matrix checks (default 3)"
    )
    p.add_argument(
        "--rules", action="store_true", help="show the book's gradient rules, checked"
    )
    p.set_defaults(handler=_grad)

    p = add_command(
        sub,
        "chain",
        help="the multivariate chain rule, one term per path",
        examples=_CHAIN_EXAMPLES,
        parents=[common],
    )
    p.add_argument(
        "definitions", help="'u = ...; x = ...; ...' (the first defines the output)"
    )
    p.add_argument("--wrt", required=True, help="the input to differentiate by")
    add_lang(p)
    p.set_defaults(handler=_chain)

    p = add_command(
        sub,
        "graph",
        help="computation graph with forward values and the backward pass",
        examples=_GRAPH_EXAMPLES,
        parents=[common],
    )
    p.add_argument("expr", help="the function, e.g. 'x1*x2 + exp(x1*x2)'")
    p.add_argument(
        "--at", type=parse_point, required=True, metavar="X1=V,...", help="the point"
    )
    p.add_argument("--steps", action="store_true", help="print the backward pass")
    p.add_argument(
        "-o", "--output", metavar="FILE", help="draw the graph (.svg or .png)"
    )
    p.add_argument(
        "--animate",
        metavar="FILE",
        help="the forward then the backward pass, one node per frame "
        "(.gif, .mp4 with ffmpeg, or .html)",
    )
    add_lang(p, "the words of the drawing and the animation")
    p.set_defaults(handler=_graph)


def _fmt(v: float) -> str:
    v = float(v)
    return str(int(v)) if v.is_integer() and abs(v) < 1e15 else f"{v:.10g}"


def _vector(values) -> str:
    return "[" + ", ".join(_fmt(v) for v in values) + "]"


def _grad(args) -> int:
    from dfdx.errors import DfdxError

    if args.rules:
        if args.expr or args.at or args.matrix:
            raise DfdxError("--rules takes no EXPR, --at or --matrix")
        from dfdx.several.matrix_rules import gradient_rules

        rules = gradient_rules(n=args.n)
        if args.json:
            print_json([r.to_dict() for r in rules])
        else:
            print(f"convention: {rules[0].convention}")
            for r in rules:
                print(r)
        return 0
    if not args.expr:
        raise DfdxError("give an expression (or --rules)")
    if args.matrix:
        if args.at or args.hessian:
            raise DfdxError(
                "--matrix shows the closed form; --at and --hessian do not apply"
            )
        from dfdx.several.matrix_rules import matrix_rule

        r = matrix_rule(args.expr, n=args.n, wrt=args.wrt)
        if args.json:
            print_json(r.to_dict())
        else:
            print(r)
            print(f"convention: {r.convention}")
        return 0
    from dfdx.several.multivariate import (
        SymbolicGradient,
        SymbolicHessian,
        gradient,
        hessian,
    )

    # an expression and no point: the exact (symbolic) results
    g = gradient(args.expr, wrt=args.wrt)
    assert isinstance(g, SymbolicGradient)
    if args.shared or args.code:
        if args.at or args.hessian:
            raise DfdxError(
                "--shared and --code show the formula; --at and --hessian do not apply"
            )
        sg = g.shared()
        if args.code:
            print(sg.to_code(), end="")
        elif args.json:
            print_json(sg.to_dict())
        else:
            print(sg)
        return 0
    H = hessian(args.expr, wrt=args.wrt) if args.hessian else None
    assert H is None or isinstance(H, SymbolicHessian)
    value = g.at(args.at) if args.at else None
    hvalue = H.at(args.at) if (H is not None and args.at) else None
    if args.json:
        data = g.to_dict()
        if value is not None:
            data["at"] = args.at
            data["value"] = value
        if H is not None:
            data["hessian"] = H.to_dict()["matrix"]
            if hvalue is not None:
                data["hessian_value"] = hvalue
        print_json(data)
        return 0
    f = g.function
    book = "[" + ", ".join(c.textbook for c in g.components) + "]"
    print(f"f({', '.join(f.variables)}) = {f.textbook}")
    if g.variables != f.variables:
        print("∇f = (" + ", ".join(f"∂f/∂{v}" for v in g.variables) + f") = {book}")
    else:
        print(f"∇f = {book}")
    if value is not None:
        point = ", ".join(f"{k} = {_fmt(v)}" for k, v in args.at.items())
        print(f"∇f({point}) = {_vector(value)}")
    if H is not None:
        rows = ("[" + ", ".join(c.textbook for c in row) + "]" for row in H.rows)
        print("H = [" + ", ".join(rows) + "]")
        if hvalue is not None:
            print("H at the point = [" + ", ".join(_vector(r) for r in hvalue) + "]")
    return 0


def _chain(args) -> int:
    from dfdx.several.chain import chain_rule

    r = chain_rule(args.definitions, args.wrt)
    if args.json:
        print_json(r.to_dict())
    else:
        print(r.to_text(args.lang))
    return 0


def _graph(args) -> int:
    from dfdx.errors import DfdxError
    from dfdx.several.graph import trace

    if args.output:
        ext = os.path.splitext(args.output)[1].lower()
        if ext not in (".svg", ".png"):
            raise DfdxError(f"--output must end in .svg or .png, got {args.output!r}")
    if args.animate:
        from dfdx.plotting.animation import check_animation_path

        check_animation_path(args.animate)
    g = trace(args.expr, at=args.at)
    steps = list(g.steps())
    by_node = {s.node: s.grad for s in steps}  # the full pass sets every node
    grads = {n.id: by_node[n.id] for n in g.nodes if n.is_input}
    anim = None
    if args.animate:
        from dfdx.plotting.animation import GraphAnimation

        anim = GraphAnimation(g, lang=args.lang)  # refuses a graph too large
    if args.output:
        if args.output.lower().endswith(".svg"):
            g.to_svg(args.output, lang=args.lang)
        else:
            from dfdx.core._files import atomic_write

            fig = g.figure(lang=args.lang)
            atomic_write(args.output, lambda fh: fig.savefig(fh, format="png", dpi=150))
    if anim is not None:
        anim.save(args.animate)
    if args.json:
        data = g.to_dict()
        data["gradient"] = grads
        if args.animate:
            data["animation_file"] = args.animate
        if args.steps:
            data["steps"] = [str(s) for s in steps]
        if args.output:
            data["output_file"] = args.output
        print_json(data)
        return 0
    print(g)
    print("gradient: " + ", ".join(f"∂f/∂{k} = {_fmt(v)}" for k, v in grads.items()))
    if args.steps:
        print("backward pass:")
        for s in steps:
            print(f"  {s}")
    if args.output:
        print(f"wrote {args.output}")
    if anim is not None:
        print(f"wrote {args.animate}: {len(anim)} frames")
    return 0
