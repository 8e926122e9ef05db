"""Chinese (CJK) text in figures: :mod:`dfdx.core._fonts`, kept at this path for
the code written against it. The implementation sits below every layer that
draws (the computation graph draws too, and is below plotting)."""

from dfdx.core._fonts import (
    CJK_FAMILIES,
    NoCJKFontWarning,
    cjk_font,
    has_cjk,
    one_font_warning,
    prepare_figure,
    prepare_text,
)

__all__ = [
    "CJK_FAMILIES",
    "cjk_font",
    "has_cjk",
    "prepare_text",
    "prepare_figure",
    "one_font_warning",
    "NoCJKFontWarning",
]
