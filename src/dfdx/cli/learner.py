"""``dfdx check``: judge a learner's derivative and name the slip."""

from __future__ import annotations

from . import UsageError, add_command, parse_float, print_json

_CHECK_EXAMPLES = """\
  dfdx check "sin(x^2)" "cos(x^2)"            wrong: the chain rule's inner derivative
  dfdx check "x^2 sin(x)" "x(2sin(x) + x cos(x))"
  dfdx check "x^3" "12" --at 2                a number: the derivative's value at x = 2
  dfdx check "x^2 y" "2xy, x^2"               a gradient, components in variable order
  dfdx check "x^2 y" "2xy + x^2" --wrt x      a partial derivative
  dfdx check "ln(x^2+1)" "1/(x^2+1)" --lang zh

exit code: 0 correct, 1 wrong, 3 cannot decide, 2 bad input.
"""


def register(sub, common) -> None:
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
    p.add_argument("--lang", choices=("en", "zh"), default="en", help="language")
    p.set_defaults(handler=_check)


def _check(args) -> int:
    from ..answers import check_answer

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
