"""The chapter's commands: the walk-through, ``limit``, ``diff``, ``tangent``,
``animate``, ``explore`` and ``plot``."""

from __future__ import annotations

import math
import os
import sys
from pathlib import Path

import sympy

from dfdx.cli._common import add_command, add_lang, parse_float, parse_point, print_json

CHAPTER_F = "3*x**2 - 4*x"


def register(sub, common) -> None:
    p = add_command(
        sub,
        "limit",
        help="difference quotients of f at a point as h shrinks",
        examples=(
            '  dfdx limit "3x^2 - 4x" --at 1\n'
            '  dfdx limit "exp(x)" --at 0 --steps 16 --scheme central\n'
            '  dfdx limit "sin(x)" --at 1 --steps 16 --plot error.svg'
        ),
        parents=[common],
    )
    p.add_argument("expr", help="the function, e.g. '3x^2 - 4x'")
    p.add_argument("--at", type=parse_float, required=True, help="the point x")
    p.add_argument(
        "--h", type=parse_float, default=0.1, help="first step (default 0.1)"
    )
    p.add_argument("--steps", type=int, default=5, help="number of rows (default 5)")
    p.add_argument(
        "--ratio",
        type=parse_float,
        default=0.1,
        help="factor between steps (default 0.1)",
    )
    p.add_argument(
        "--scheme",
        choices=("forward", "backward", "central"),
        default="forward",
        help="difference quotient (default forward)",
    )
    p.add_argument(
        "--plot",
        metavar="FILE",
        help="also write the error-versus-h figure (.svg/.png/.pdf)",
    )
    add_lang(p, "the table's words and the figure's labels")
    p.set_defaults(handler=run_limit)

    p = add_command(
        sub,
        "diff",
        help="exact derivative of an expression",
        examples=(
            '  dfdx diff "3x^2 - 4x"\n'
            '  dfdx diff "x^3 - 1/x" --at 1\n'
            '  dfdx diff "sigmoid(w*x + b)" --wrt w --at w=0.5,x=2,b=-0.5 --check\n'
            '  dfdx diff "x1^2 * x2" --wrt x2 --at x1=1,x2=3\n'
            '  dfdx diff "sin(x)" -n 2\n'
            '  dfdx diff "exp(-x^2) log(x)" --steps\n'
            '  dfdx diff "x^x" --steps --lang zh --format markdown'
        ),
        parents=[common],
    )
    p.add_argument("expr", help="the function")
    p.add_argument("--wrt", help="variable (needed when there are several)")
    p.add_argument("-n", "--order", type=int, default=1, help="order (default 1)")
    p.add_argument("--at", help="evaluate there: a number, or x1=1,x2=2")
    p.add_argument(
        "--steps", action="store_true", help="explain the derivative rule by rule"
    )
    p.add_argument(
        "--check",
        action="store_true",
        help="with --at: the limit, the rules, the numerical engine and autodiff "
        "side by side (exit 1 if one disagrees)",
    )
    add_lang(p, "the steps")
    p.add_argument(
        "--format",
        choices=("text", "sympy", "markdown", "latex", "html"),
        default="text",
        help="format of the output: text in textbook notation (default), text in "
        "SymPy's syntax for programmers (sympy); with --steps also markdown, latex "
        "or html",
    )
    p.set_defaults(handler=run_diff)

    p = add_command(
        sub,
        "tangent",
        help="tangent line to f at a point",
        examples=(
            '  dfdx tangent "3x^2 - 4x" --at 1\n'
            '  dfdx tangent "x^3 - 1/x" --at 1 -o tangent.svg'
        ),
        parents=[common],
    )
    p.add_argument("expr", help="the function of one variable")
    p.add_argument("--at", type=parse_float, required=True, help="point of tangency")
    p.add_argument("-o", "--output", help="also plot f and the tangent to this file")
    add_lang(p, "the summary and the figure's labels")
    p.set_defaults(handler=run_tangent)

    p = add_command(
        sub,
        "animate",
        help="secants closing on the tangent as h shrinks, on into round-off "
        "(GIF, MP4 or HTML)",
        examples=(
            '  dfdx animate "x^2" --at 1 -o secants.gif\n'
            '  dfdx animate "sin(x)" --at 1 --frames 16 --h-min 1e-12 -o s.html\n'
            '  dfdx animate "exp(x)" --at 0 --lang zh -o 割线.gif'
        ),
    )
    p.add_argument("expr", help="the function of one variable")
    p.add_argument("--at", type=parse_float, required=True, help="point of tangency")
    p.add_argument(
        "-o", "--output", required=True, help="file (.gif, .mp4 with ffmpeg, .html)"
    )
    p.add_argument(
        "--frames", type=int, default=31, help="number of frames (default 31)"
    )
    p.add_argument(
        "--h-max", type=parse_float, default=1.0, help="first step (default 1)"
    )
    p.add_argument(
        "--h-min", type=parse_float, default=1e-15, help="last step (default 1e-15)"
    )
    p.add_argument(
        "--fps", type=parse_float, default=3.0, help="frames per second (default 3)"
    )
    add_lang(p, "the labels and titles")
    p.set_defaults(handler=run_animate)

    p = add_command(
        sub,
        "explore",
        help="an offline HTML page: move x0 and h, watch the secant, the tangent, "
        "the quotients and their errors",
        examples=(
            '  dfdx explore "x^3 - 2x" --at 1 -o explore.html\n'
            '  dfdx explore "sin(x)/x" --at 2 --xlim -10 10 -o sinc.html\n'
            '  dfdx explore "exp(x)" --at 0 --lang zh -o 导数.html'
        ),
    )
    p.add_argument("expr", help="the function of one variable")
    p.add_argument(
        "--at", type=parse_float, default=0.0, help="the starting x0 (default 0)"
    )
    p.add_argument("-o", "--output", required=True, help="the page (.html)")
    p.add_argument(
        "--xlim",
        nargs=2,
        type=parse_float,
        metavar=("LOW", "HIGH"),
        help="the window (default x0 - 3 to x0 + 3)",
    )
    p.add_argument(
        "--h", type=parse_float, default=0.5, help="the starting step (default 0.5)"
    )
    p.add_argument("--label", help="the function's name on the page")
    add_lang(p, "the page's words")
    p.set_defaults(handler=run_explore)

    p = add_command(
        sub,
        "plot",
        help="plot a function (poles handled), optionally with a tangent; or a "
        "gradient field / tangent plane of a function of two variables",
        examples=(
            '  dfdx plot "x^3 - 1/x" --tangent-at 1 --xlim 0 3 -o g.svg\n'
            '  dfdx plot "tan(x)" --xlim -4 4 -o tan.png\n'
            '  dfdx plot "x1^2 + 3x2^2" --kind gradient-field --at x1=1,x2=0.5 -o field.svg\n'
            '  dfdx plot "x^2 + y^2" --kind tangent-plane --at x=1,y=1 -o plane.png'
        ),
    )
    p.add_argument("expr", help="the function")
    p.add_argument("-o", "--output", required=True, help="file (.svg, .png or .pdf)")
    p.add_argument(
        "--kind",
        choices=("function", "gradient-field", "tangent-plane"),
        default="function",
        help="function (default): f(x) and its tangent; gradient-field: arrows "
        "over contours; tangent-plane: surface and plane (two variables)",
    )
    p.add_argument(
        "--at",
        type=parse_point,
        help="point for gradient-field / tangent-plane: x1=1,x2=2",
    )
    p.add_argument("--tangent-at", type=parse_float, help="draw the tangent there")
    p.add_argument("--xlim", type=parse_float, nargs=2, metavar=("A", "B"))
    p.add_argument("--ylim", type=parse_float, nargs=2, metavar=("A", "B"))
    add_lang(p, "the figure's labels and legend")
    p.set_defaults(handler=run_plot)


_SAID = {
    "tangent": (
        "tangent to f(x) = {f} at x = {a}: {line}",
        "f(x) = {f} 在 x = {a} 处的切线：{line}",
    ),
    "tangent_at": (
        "  f({a}) = {v:.15g}, slope f'({a}) = {m:.15g}",
        "  f({a}) = {v:.15g}，斜率 f'({a}) = {m:.15g}",
    ),
    "figure": ("figure: {path}", "图：{path}"),
    "table_head": (
        "f(x) = {f}, x = {x}, {s} differences",
        "f(x) = {f}，x = {x}，{s_zh}差分",
    ),
    "no_exact": ("(no exact derivative at this point)", "（此处没有精确导数）"),
    "error_figure": ("error-versus-h figure: {path}", "误差随 h 变化的图：{path}"),
    "animation": (
        "{path}: {n} frames, h from {h0:g} to {h1:g}; f'({a:g}) = {m:.15g}",
        "{path}：{n} 帧，h 从 {h0:g} 到 {h1:g}；f'({a:g}) = {m:.15g}",
    ),
    "animation_best": (
        "  best h = {h:.2g} (error {e:.2g}); at h = {h1:.2g} the quotient is "
        "{q:.15g} (error {e1:.2g})",
        "  最佳 h = {h:.2g}（误差 {e:.2g}）；h = {h1:.2g} 时差商为 {q:.15g}"
        "（误差 {e1:.2g}）",
    ),
}


def _said(key: str, lang: str, **fields) -> str:
    from dfdx.core.i18n import localise

    if "s" in fields:  # a scheme's name
        fields["s_zh"] = _SCHEME_ZH.get(fields["s"], fields["s"])
    return localise(_SAID, key, lang, **fields)


_SCHEME_ZH = {"forward": "前向", "central": "中心", "backward": "后向"}


def _expression(text: str):
    from dfdx.text.expr import parse

    return parse(text)


def run_limit(args) -> int:
    from dfdx.teaching.limits import limit_table

    table = limit_table(
        args.expr,
        args.at,
        h=args.h,
        steps=args.steps,
        ratio=args.ratio,
        scheme=args.scheme,
    )
    figure = None
    if args.plot:
        table.plot(output=args.plot, lang=args.lang)
        figure = args.plot
    if args.json:
        print_json(
            {
                "function": table.function,
                "x": table.x,
                "scheme": table.scheme,
                "exact": table.exact,
                "rows": table.rows(),
                "figure": figure,
            }
        )
        return 0
    shown = _shown_function(args.expr, table.function)
    print(_said("table_head", args.lang, f=shown, x=f"{table.x:g}", s=table.scheme))
    print(table.format(exact=table.exact is not None, lang=args.lang))
    if table.exact is None:
        print(_said("no_exact", args.lang))
    if figure:
        print(_said("error_figure", args.lang, path=figure))
    return 0


def _shown_function(text: str, fallback: str) -> str:
    """The function of a table in textbook notation."""
    try:
        return _expression(text).textbook
    except Exception:  # the table has read it; this is only its display
        return fallback


def run_diff(args) -> int:
    from dfdx.errors import DfdxError
    from dfdx.exact.symbolic import diff
    from dfdx.text.expr import variable_values
    from dfdx.text.textbook import textbook

    e = _expression(args.expr)
    if args.wrt is None and len(e.variables) > 1:
        raise DfdxError(
            f"the expression has several variables ({', '.join(e.variables)}); "
            "choose one with --wrt"
        )
    if args.steps:
        return _print_steps(e, args)
    if args.format not in ("text", "sympy"):
        raise DfdxError(f"--format {args.format} is for --steps; use text or sympy")
    d = diff(e, args.wrt, n=args.order)
    wrt = args.wrt or (e.variables[0] if e.variables else "x")
    value = None
    if args.at is not None:
        try:
            point = (
                {wrt: parse_float(args.at)}
                if "=" not in args.at
                else parse_point(args.at)
            )
        except Exception as exc:  # argparse.ArgumentTypeError
            raise DfdxError(f"--at: {exc}") from None
        point = variable_values(e, point, name="--at")
        missing = [v for v in d.variables if v not in point]
        if missing:
            raise DfdxError(f"--at: missing value for {', '.join(missing)}")
        if len(e.variables) <= 1 and args.order == 1:
            from dfdx.exact.symbolic import derivative_at

            _, slope = derivative_at(e, point.get(wrt, 0.0), wrt)
            value = float(slope)
        else:
            value = (
                float(d(**{k: v for k, v in point.items() if k in d.variables}))
                if d.variables
                else float(d.sympy)
            )
    if value is not None and not math.isfinite(value):
        _refuse_non_finite(d, point, args.at)
    check = None
    if args.check:
        if args.at is None or args.order != 1:
            raise DfdxError("--check compares first derivatives at a point: give --at")
        from dfdx.checking.agreement import agree

        check = agree(e, point, wrt=wrt)
    if args.json:
        print_json(
            {
                "function": str(e),
                "function_textbook": e.textbook,
                "wrt": wrt,
                "order": args.order,
                "derivative": str(d),
                "derivative_textbook": d.textbook,
                "latex": d.latex,
                "at": args.at,
                "value": value,
                **({"check": check.to_dict()} if check is not None else {}),
            }
        )
        return 0 if check is None or check.agree else 1
    label = f"d/d{wrt}" if len(e.variables) <= 1 else f"∂/∂{wrt}"
    if args.order > 1:
        label = label.replace("d/d", f"d^{args.order}/d").replace(
            "∂/∂", f"∂^{args.order}/∂"
        )
        label += f"^{args.order}"
    book = args.format == "text"
    tree = e.sympy
    if e.domain.without(e.sympy):  # x^2/x: say what was typed, and where
        tree = e.written
        shown = textbook(tree, order="none") if book else e.written_text
    else:
        shown = e.textbook if book else str(e)
    if not (tree.is_Atom or tree.is_Function) or shown.startswith("|"):
        shown = f"({shown})"
    else:
        shown = f" {shown}"
    where = ""
    lost = d.domain.without(d.sympy)
    if lost and d.sympy.is_finite is not False and d.sympy is not sympy.nan:
        where = f"  ({lost.restriction_text(textbook if book else None)})"
    print(f"{label}{shown} = {d.textbook if book else d}{where}")
    for note in d.notes:  # what the derivative says of itself (0/0 everywhere)
        if note not in e.notes:
            print(f"dfdx: note: {note}", file=sys.stderr)
    if value is not None:
        print(f"at {args.at}: {value:.15g}")
    if check is not None:
        print()
        print(check)
        return 0 if check.agree else 1
    return 0


def _print_steps(e, args) -> int:
    from dfdx.errors import DfdxError
    from dfdx.teaching.steps import explain

    if args.order != 1:
        raise DfdxError("--steps explains first derivatives only; drop -n")
    steps = explain(e, args.wrt, lang=args.lang)
    if args.json:
        print_json(
            {
                "function": str(e),
                "wrt": steps.wrt,
                "derivative": str(steps.result),
                "rules": list(steps.rules),
                "text": steps.to_text(),
                "latex": steps.to_latex(),
            }
        )
        return 0
    render = {
        "text": steps.to_text,
        "sympy": steps.to_sympy_text,
        "markdown": steps.to_markdown,
        "latex": steps.to_latex,
        "html": steps.to_html,
    }[args.format]
    print(render())
    return 0


def run_tangent(args) -> int:
    from dfdx.exact.symbolic import tangent_line

    t = tangent_line(args.expr, args.at)
    if args.output:
        from dfdx.plotting.figures import plot_tangent

        plot_tangent(args.expr, args.at, output=args.output, lang=args.lang)
    if args.json:
        print_json(
            {
                "function": t.function,
                "at": t.point,
                "value": t.value,
                "slope": t.slope,
                "intercept": t.intercept,
                "equation": t.equation(),
                "exact": t.exact,
                "figure": args.output,
            }
        )
        return 0
    f = _expression(args.expr).textbook
    print(_said("tangent", args.lang, f=f, a=f"{t.point:g}", line=t.equation()))
    print(_said("tangent_at", args.lang, a=f"{t.point:g}", v=t.value, m=t.slope))
    if args.output:
        print(_said("figure", args.lang, path=args.output))
    return 0


def run_animate(args) -> int:
    import numpy as np

    from dfdx.errors import DfdxError
    from dfdx.plotting.animation import MAX_FRAMES, animate_secants

    if not 1 <= args.frames <= MAX_FRAMES:
        raise DfdxError(f"--frames must be from 1 to {MAX_FRAMES}, got {args.frames}")
    if not 0 < args.h_min <= args.h_max:
        raise DfdxError(
            f"need 0 < --h-min <= --h-max, got {args.h_min:g} and {args.h_max:g}"
        )
    hs = np.geomspace(args.h_max, args.h_min, args.frames)
    a = animate_secants(
        args.expr, args.at, h_values=hs, path=args.output, fps=args.fps, lang=args.lang
    )
    best = a.frames[a.best]
    last = a.frames[-1]
    print(
        _said(
            "animation",
            args.lang,
            path=args.output,
            n=len(a.frames),
            h0=a.frames[0].h,
            h1=last.h,
            a=args.at,
            m=a.slope,
        )
    )
    print(
        _said(
            "animation_best",
            args.lang,
            h=best.h,
            e=best.error,
            h1=last.h,
            q=last.quotient,
            e1=last.error,
        )
    )
    return 0


def run_explore(args) -> int:
    from dfdx.plotting.explorer import explore

    page = explore(
        args.expr,
        at=args.at,
        path=args.output,
        xlim=args.xlim,
        h=args.h,
        label=args.label,
        lang=args.lang,
    )
    print(f"{args.output}: an offline page (plotly.js inlined); open it in a browser")
    print(f"  f in the browser:  {page.function_js}")
    if page.derivative_js is None:
        print("  f' cannot be computed in the browser; the page says so")
    else:
        print(f"  f' in the browser: {page.derivative_js}")
    return 0


def run_plot(args) -> int:
    from dfdx.errors import DfdxError

    if args.kind != "function":
        if args.tangent_at is not None:
            raise DfdxError(f"--tangent-at is for --kind function, not {args.kind}")
        from dfdx.plotting.fields import plot_gradient_field, plot_tangent_plane

        if args.kind == "tangent-plane":
            if args.at is None:
                raise DfdxError("--kind tangent-plane needs --at, e.g. --at x=1,y=2")
            plot_tangent_plane(
                args.expr,
                at=args.at,
                xlim=args.xlim,
                ylim=args.ylim,
                output=args.output,
                lang=args.lang,
            )
        else:
            plot_gradient_field(
                args.expr,
                at=args.at,
                xlim=args.xlim,
                ylim=args.ylim,
                output=args.output,
                lang=args.lang,
            )
        print(f"figure: {args.output}")
        return 0
    if args.at is not None:
        raise DfdxError(
            "--at is for --kind gradient-field or tangent-plane; "
            "use --tangent-at for a tangent line"
        )
    from dfdx.plotting.figures import plot_function

    plot_function(
        args.expr,
        tangent_at=args.tangent_at,
        xlim=args.xlim,
        ylim=args.ylim,
        output=args.output,
        lang=args.lang,
    )
    print(f"figure: {args.output}")
    return 0


_WALK = {
    "head": (
        "dfdx: the calculus chapter of Dive into Deep Learning, worked through",
        "dfdx：《动手学深度学习》微积分一节，逐步演示",
    ),
    "limit": (
        "1. The derivative as a limit: (f(x + h) - f(x)) / h at x = 1",
        "1. 导数是极限：x = 1 处的 (f(x + h) - f(x)) / h",
    ),
    "exact": ("2. The exact derivative", "2. 精确导数"),
    "tangent": ("3. The tangent line at x = 1", "3. x = 1 处的切线"),
    "figures": ("4. Figures", "4. 图"),
    "fig_tangent": ("f and its tangent:    {path}", "f 及其切线：        {path}"),
    "fig_error": ("error versus h:       {path}", "误差随 h 的变化：   {path}"),
    "next": (
        'Next: dfdx --help, e.g. dfdx limit "exp(x)" --at 0 --steps 16 --scheme central',
        '下一步：dfdx --help，例如 dfdx diff "x^x" --steps --lang zh',
    ),
}


def walk(args) -> int:
    """The main job: the chapter's example, end to end (``--lang zh``: in
    Chinese, figures included)."""
    import functools

    from dfdx.core.i18n import localise
    from dfdx.exact.symbolic import diff, tangent_line
    from dfdx.teaching.limits import limit_table

    lang = getattr(args, "walk_lang", "en") or "en"
    w = functools.partial(localise, _WALK)
    outdir = Path(getattr(args, "outdir", ".") or ".")
    if not outdir.is_dir():
        from dfdx.errors import DfdxError

        raise DfdxError(f"--outdir: not a folder: {str(outdir)!r}")
    f = _expression(CHAPTER_F)
    print(w("head", lang))
    print()
    print(f"f(x) = {f.textbook}")
    print()
    print(w("limit", lang))
    table = limit_table(f, 1.0)
    print(table.format(lang=lang))
    print()
    d = diff(f)
    print(w("exact", lang))
    print(f"f'(x) = {d.textbook}")
    print(f"f'(1) = {d(1.0):g}")
    print()
    t = tangent_line(f, 1.0)
    print(w("tangent", lang))
    print(t.equation())
    print()
    import numpy as np

    from dfdx.plotting.figures import plot_error_vs_h, plot_tangent

    tangent_path = outdir / "dfdx-tangent.svg"
    error_path = outdir / "dfdx-error-vs-h.svg"
    plot_tangent(f, 1.0, x=np.arange(0, 3, 0.1), output=tangent_path, lang=lang)
    plot_error_vs_h(
        f,
        1.0,
        marks=("forward", table.h, table.values),
        output=error_path,
        lang=lang,
    )
    print(w("figures", lang))
    print(w("fig_tangent", lang, path=os.fspath(tangent_path)))
    print(w("fig_error", lang, path=os.fspath(error_path)))
    print()
    print(w("next", lang))
    return 0


def _refuse_non_finite(d, point: dict, at) -> None:
    """A derivative value that is not a finite float: say whether it is too
    large for floating point or undefined there (never print inf or nan)."""
    import sympy

    from dfdx.errors import DfdxError, UndefinedError
    from dfdx.text.codegen import number_value

    exact = d.sympy.xreplace(
        {d.symbol(k): sympy.Rational(repr(float(v))) for k, v in point.items()}
    )
    kind, number = number_value(exact, 4)
    if kind == "overflow":
        about = "" if number is None else f" (about {sympy.sstr(number)})"
        raise DfdxError(
            f"the derivative at {at} is too large for floating point{about}"
        )
    raise UndefinedError(
        f"the derivative is undefined at {at} (no limit of the difference "
        "quotient there)"
    )
