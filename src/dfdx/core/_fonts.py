"""Chinese (CJK) text in figures: found fonts used as a fallback, or one warning.

matplotlib's default font, DejaVu Sans, has no Chinese glyphs: a label such as
``'损失'`` is drawn as empty boxes with a "Glyph missing" warning per
character. :func:`prepare_text` is called before a figure with such text is
drawn or saved: it finds an installed CJK font (Noto CJK, Source Han,
WenQuanYi, SimHei, Microsoft YaHei, PingFang, ...) and appends it to
``font.family`` as a fallback, so matplotlib's per-glyph fallback draws the Chinese
characters with it while Latin text, digits and the minus sign keep the
default font. :func:`prepare_figure` does the same for the texts of a
finished figure (before it is saved). With none installed it warns once per process, naming how to
install one.
"""

from __future__ import annotations

import functools
import os
import re
import warnings

__all__ = [
    "cjk_font",
    "has_cjk",
    "prepare_text",
    "prepare_figure",
    "one_font_warning",
    "NoCJKFontWarning",
]

#: Family names of CJK fonts, most preferred first.
CJK_FAMILIES = (
    "Noto Sans CJK SC",
    "Noto Sans SC",
    "Source Han Sans SC",
    "Source Han Sans CN",
    "WenQuanYi Micro Hei",
    "WenQuanYi Zen Hei",
    "Noto Sans CJK JP",
    "Noto Sans CJK TC",
    "SimHei",
    "Microsoft YaHei",
    "PingFang SC",
    "Heiti SC",
    "Hiragino Sans GB",
    "Droid Sans Fallback",
    "AR PL UMing CN",
)
_CJK_FILE = re.compile(
    r"notosanscjk|notosanssc|sourcehansans|wqy|simhei|msyh|pingfang|"
    r"droidsansfallback|uming|hiragino",
    re.I,
)
_CJK_CHAR = re.compile(r"[\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef]")


class NoCJKFontWarning(UserWarning):
    """A figure has Chinese text but no CJK font is installed."""


def has_cjk(text: str) -> bool:
    """Whether `text` has Chinese, Japanese or Korean characters."""
    return bool(_CJK_CHAR.search(text))


@functools.lru_cache(maxsize=1)
def cjk_font() -> str | None:
    """The family name of an installed CJK font, or None."""
    from matplotlib import font_manager

    manager = font_manager.fontManager

    def known() -> str | None:
        names = {f.name for f in manager.ttflist}
        return next((n for n in CJK_FAMILIES if n in names), None)

    found = known()
    if found is not None:
        return found
    # matplotlib's font list is cached when it is first built: fonts installed
    # afterwards are not in it until they are added by file
    for path in font_manager.findSystemFonts():
        if _CJK_FILE.search(os.path.basename(path)):
            try:
                manager.addfont(path)
            except (OSError, RuntimeError, ValueError):
                continue
    return known()


_warned = False


def prepare_text(texts) -> None:
    """Make the strings `texts` drawable: with CJK characters among them, add
    the CJK font as a fallback (once), or warn once that none is installed."""
    global _warned
    if not any(has_cjk(t) for t in texts if t):
        return
    import matplotlib

    family = cjk_font()
    if family is None:
        if not _warned:
            _warned = True
            warnings.warn(
                "the figure has Chinese text but no CJK font is installed, so it "
                "shows as boxes; install one (Debian/Ubuntu: apt-get install "
                "fonts-noto-cjk or fonts-wqy-microhei; macOS and Windows have one)",
                NoCJKFontWarning,
                stacklevel=3,
            )
        return
    # a generic family ('sans-serif') resolves to one font: the fallback must
    # be a family of its own in the list
    families = list(matplotlib.rcParams["font.family"])
    if family not in families:
        matplotlib.rcParams["font.family"] = [*families, family]


def prepare_figure(fig) -> bool:
    """Give every text of `fig` with CJK characters the CJK fallback font
    (texts made before :func:`prepare_text` keep the families they were made
    with). Returns whether the figure has CJK text and no font for it."""
    from matplotlib.text import Text

    texts = [t for t in fig.findobj(Text) if has_cjk(t.get_text())]
    if not texts:
        return False
    prepare_text([t.get_text() for t in texts])
    family = cjk_font()
    if family is None:
        return True
    for t in texts:
        current = list(t.get_fontfamily())
        if family not in current:
            t.set_fontfamily([*current, family])
    return False


_GLYPH_MISSING = r"Glyph \d+ .* missing from font"


def one_font_warning(fn):
    """Decorator for the functions that build or draw figures: where no CJK
    font is installed, matplotlib's "Glyph ... missing" warning (one per
    character, raised while the figure is laid out) is held back inside the
    call, so the user sees dfdx's one NoCJKFontWarning, which says how to
    install a font. The user's own warning filters are left as they were."""

    @functools.wraps(fn)
    def inner(*args, **kwargs):
        if cjk_font() is not None:
            return fn(*args, **kwargs)
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=_GLYPH_MISSING)
            return fn(*args, **kwargs)

    return inner
