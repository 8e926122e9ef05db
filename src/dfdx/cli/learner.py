"""``dfdx check`` (judge a learner's derivative or working, name the slip),
``dfdx hint`` (the next step, one level at a time) and ``dfdx lim`` (the limit
of an expression, with steps)."""

from __future__ import annotations

from dfdx.cli._common import UsageError, add_command, add_lang, parse_float, print_json

_CHECK_EXAMPLES = """\
  dfdx check "sin(x^2)" "cos(x^2)"            wrong: the chain rule's inner derivative
  dfdx check "x^2 sin(x)" "x(2sin(x) + x cos(x))"
  dfdx check "x^3" "12" --at 2                a number: the derivative's value at x = 2
  dfdx check "x^2 y" "2xy, x^2"               a gradient, components in variable order
  dfdx check "x^2 y" "2xy + x^2" --wrt x      a partial derivative
  dfdx check "ln(x^2+1)" "1/(x^2+1)" --lang zh
  dfdx check "x^2 sin(x)" "d/dx(x^2) sin(x) + x^2 d/dx(sin(x))" "2x sin(x) - x^2 cos(x)"
                                              working: the first wrong line, its slip

exit code: 0 correct, 1 wrong, 3 cannot decide, 2 bad input.
"""


_HINT_EXAMPLES = """\
  dfdx hint "x^2 sin(x)"                      the rule for the outermost operation
  dfdx hint "x^2 sin(x)" --level 2            that rule applied, inner derivatives open
  dfdx hint "sin(x^2)" --given "cos(x^2) d/dx(x^2)" --level 3
                                              the next line from yours

exit code: 0, 1 when the given line is already wrong, 2 bad input.
"""

_LIM_EXAMPLES = """\
  dfdx lim "sin(x)/x" --at 0                  the standard limit, with steps
  dfdx lim "(1+x)^(1/x)" --at 0               e
  dfdx lim "abs(x)/x" --at 0                  one-sided limits differ
  dfdx lim "exp(1/x)" --at 0 --side -         from the left only
  dfdx lim "(3x^2+1)/(2x^2-x)" --at inf --lang zh

exit code: 0 the limit exists (finite), 1 it is infinite or does not exist,
3 it could not be found, 2 bad input. (dfdx limit is the chapter's table of
difference quotients.)
"""


def register(sub, common) -> None:
    p = add_command(
        sub,
        "lim",
        help="the limit of an expression at a point (or at ±inf), with steps",
        examples=_LIM_EXAMPLES,
        parents=[common],
    )
    p.add_argument("expr", help="the function, e.g. 'sin(x)/x'")
    p.add_argument("--at", required=True, help="the point: a number, pi/2, inf or -inf")
    p.add_argument("--wrt", help="the variable (when there are several)")
    p.add_argument(
        "--side",
        choices=("both", "+", "-"),
        default="both",
        help="two-sided (default), from the right (+) or from the left (-)",
    )
    add_lang(p)
    p.set_defaults(handler=_lim)

    p = add_command(
        sub,
        "hint",
        help="a hint for the next step of a derivative, one level at a time",
        examples=_HINT_EXAMPLES,
        parents=[common],
    )
    p.add_argument("expr", help="the function to differentiate")
    p.add_argument(
        "--level",
        type=int,
        choices=(1, 2, 3),
        default=1,
        help="1: the rule to use (default); 2: the rule applied, inner "
        "derivatives left open; 3: the next line",
    )
    p.add_argument(
        "--given", help="your line so far: the hint is for the next step from it"
    )
    p.add_argument("--wrt", help="the variable (when there are several)")
    add_lang(p)
    p.set_defaults(handler=_hint)

    p = add_command(
        sub,
        "check",
        help="check a derivative you worked out; name the mistake when it is wrong",
        examples=_CHECK_EXAMPLES,
        parents=[common],
    )
    p.add_argument("expr", help="the function you differentiated")
    p.add_argument(
        "answer",
        nargs="+",
        help="your derivative (for a gradient: components split by commas); "
        "several: your working, line by line (d/dx(u) or (u)' for a derivative "
        "not yet worked out)",
    )
    p.add_argument("--wrt", help="the variable (for a partial derivative)")
    p.add_argument("-n", "--order", type=int, default=1, help="order (default 1)")
    p.add_argument(
        "--at", type=parse_float, help="check a number: the derivative's value there"
    )
    add_lang(p)
    p.set_defaults(handler=_check)


def _hint(args) -> int:
    from dfdx.teaching.hints import hint

    result = hint(
        args.expr, wrt=args.wrt, given=args.given, level=args.level, lang=args.lang
    )
    if args.json:
        print_json(result.to_dict())
    else:
        print(result.to_text())
    return 0 if result.given_correct is not False else 1


def _check(args) -> int:
    from dfdx.teaching.answers import check_answer
    from dfdx.teaching.work import check_work

    if len(args.answer) > 1:
        if args.at is not None or args.order != 1:
            raise UsageError(
                "several answers are working, line by line, of a first derivative; "
                "--at and --order check one answer"
            )
        result = check_work(args.expr, args.answer, wrt=args.wrt, lang=args.lang)
        return _report(args, result)
    answer = args.answer[0]
    if args.at is not None and answer.count(",") and args.wrt is None:
        raise UsageError("--at checks one derivative's value; give --wrt")
    result = check_answer(
        args.expr, answer, wrt=args.wrt, n=args.order, at=args.at, lang=args.lang
    )
    return _report(args, result)


def _report(args, result) -> int:
    if args.json:
        print_json(result.to_dict())
    else:
        print(result.to_text())
    if result.correct is None:
        return 3
    return 0 if result.correct else 1


def _lim(args) -> int:
    from dfdx.teaching.lim import limit

    result = limit(args.expr, args.at, wrt=args.wrt, side=args.side, lang=args.lang)
    if args.json:
        print_json(result.to_dict())
    else:
        print(result.to_text())
    if result.status == "unknown":
        return 3
    return 0 if result.exists else 1
