"""``dfdx exercises``: the chapter's exercises, solved (both editions)."""

from __future__ import annotations

from dfdx.cli._common import add_command, add_lang, print_json

_EXAMPLES = """\
  dfdx exercises                      all ten exercises (1.0 edition numbering)
  dfdx exercises 4                    d/dx x^x
  dfdx exercises 1 --edition 0.17     the 0.17/Chinese edition's exercise 1 (plot)
  dfdx exercises --lang zh --outdir figs
  dfdx exercises 7 --json
"""


def register(sub, common) -> None:
    p = add_command(
        sub,
        "exercises",
        help="solve the chapter's exercises with steps and numeric checks",
        examples=_EXAMPLES,
        parents=[common],
    )
    p.add_argument("number", nargs="?", type=int, help="exercise number (default: all)")
    p.add_argument(
        "--edition",
        choices=("1.0", "0.17"),
        default="1.0",
        help="numbering: the 1.0 edition (10 exercises, default) or the 0.17 and "
        "Chinese editions (4)",
    )
    add_lang(p)
    p.add_argument(
        "--outdir",
        default=".",
        help="folder for the figure of exercise 6 (default: current folder)",
    )
    p.set_defaults(handler=_exercises)


def _exercises(args) -> int:
    from dfdx.apps.solutions import exercises

    result = exercises(
        args.number, edition=args.edition, lang=args.lang, outdir=args.outdir
    )
    if args.json:
        print_json(result.to_dict())
    else:
        print(result.to_text())
    return 0 if result.ok else 1
