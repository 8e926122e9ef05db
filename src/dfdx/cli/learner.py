"""``dfdx check`` (judge a learner's derivative, name the slip) and ``dfdx lim``
(the limit of an expression, with steps)."""

from __future__ import annotations

from dfdx.cli._common import UsageError, add_command, add_lang, parse_float, print_json

_CHECK_EXAMPLES = """\
  dfdx check "sin(x^2)" "cos(x^2)"            wrong: the chain rule's inner derivative
  dfdx check "x^2 sin(x)" "x(2sin(x) + x cos(x))"
  dfdx check "x^3" "12" --at 2                a number: the derivative's value at x = 2
  dfdx check "x^2 y" "2xy, x^2"               a gradient, components in variable order
  dfdx check "x^2 y" "2xy + x^2" --wrt x      a partial derivative
  dfdx check "ln(x^2+1)" "1/(x^2+1)" --lang zh

exit code: 0 correct, 1 wrong, 3 cannot decide, 2 bad input.
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
        "check",
        help="check a derivative you worked out; name the mistake when it is wrong",
        examples=_CHECK_EXAMPLES,
        parents=[common],
    )
    p.add_argument("expr", help="the function you differentiated")
    p.add_argument(
        "answer", help="your derivative (for a gradient: components split by commas)"
    )
    p.add_argument("--wrt", help="the variable (for a partial derivative)")
    p.add_argument("-n", "--order", type=int, default=1, help="order (default 1)")
    p.add_argument(
        "--at", type=parse_float, help="check a number: the derivative's value there"
    )
    add_lang(p)
    p.set_defaults(handler=_check)


def _check(args) -> int:
    from dfdx.teaching.answers import check_answer

    if args.at is not None and args.answer.count(",") and args.wrt is None:
        raise UsageError("--at checks one derivative's value; give --wrt")
    result = check_answer(
        args.expr, args.answer, wrt=args.wrt, n=args.order, at=args.at, lang=args.lang
    )
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
