"""``dfdx save``: the ``#@save`` blocks of notebooks as one module."""

from __future__ import annotations

from dfdx.cli._common import add_command, print_json


def register(sub, common) -> None:
    p = add_command(
        sub,
        "save",
        help="collect the code marked #@save in notebooks, Markdown and .py files "
        "into one importable module (checked by importing it, which runs the "
        "saved code: see --no-import-check)",
        examples=(
            "  dfdx save calculus.ipynb -o mycalc.py\n"
            "  dfdx save ch1.ipynb ch2.md helpers.py -o d2l_helpers.py --d2l dfdx\n"
            "  dfdx save notes.ipynb -o existing.py --force"
        ),
        parents=[common],
    )
    p.add_argument("sources", nargs="+", help=".ipynb, .md or .py files, in order")
    p.add_argument("-o", "--output", required=True, help="the module to write (.py)")
    p.add_argument(
        "--force",
        action="store_true",
        help="overwrite a file that dfdx save did not generate",
    )
    p.add_argument(
        "--d2l",
        choices=("keep", "dfdx"),
        default="keep",
        help="dfdx: write 'from d2l import torch as d2l' as dfdx's drop-in "
        "'from dfdx import d2l' (default keep)",
    )
    p.add_argument(
        "--no-import-check",
        dest="import_check",
        action="store_false",
        help="write the module without importing it first. The check imports "
        "the module in a separate Python process, which RUNS the saved code "
        "with your rights: use this option for sources you do not trust",
    )
    p.set_defaults(handler=run_save)


def run_save(args) -> int:
    from dfdx.apps.marked import save_marked

    saved = save_marked(
        args.sources,
        args.output,
        force=args.force,
        d2l=args.d2l,
        import_check=args.import_check,
    )
    if args.json:
        print_json(
            {
                "output": str(saved.path),
                "imports": list(saved.imports),
                "blocks": [
                    {"source": where, "line": line, "code": code}
                    for where, line, code in saved.blocks
                ],
            }
        )
        return 0
    print(saved)
    for where, line, code in saved.blocks:
        print(f"  {where}, line {line}: {code.splitlines()[0]}")
    return 0
