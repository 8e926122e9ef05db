"""Secants closing on the tangent as h shrinks, frame by frame, on past the
best h into the round-off regime (h down to 1e-15), beside the error-versus-h
curve with the current h marked.

Each frame's quotient is computed in double precision exactly as Python's
``(f(x + h) - f(x)) / h``, so the animation shows what a computer does: the
secant turns into the tangent until h ≈ 1e-8, then falls apart again.
"""

from __future__ import annotations

import abc
import contextlib
import functools
import html
import io
import math
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import matplotlib.axis
import matplotlib.patches
import matplotlib.spines
import matplotlib.text
import matplotlib.transforms
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from dfdx.core._checks import finite_number, float_array
from dfdx.core._fonts import has_cjk, one_font_warning, prepare_figure
from dfdx.core.i18n import check_lang, localise
from dfdx.errors import DfdxError, UndefinedError
from dfdx.plotting.figures import (
    _function_and_label,
    _num,
    math_label,
    plot_function,
)
from dfdx.plotting.labels import _check_lim
from dfdx.plotting.sampling import evaluate
from dfdx.text.expr import is_expression_like

__all__ = ["animate_secants", "SecantAnimation", "SecantFrame", "GraphAnimation"]

#: The most frames one animation draws (each costs a figure render, about
#: 0.15 s: 60 frames stay within ten seconds).
MAX_FRAMES = 60
_FORMATS = (".gif", ".mp4", ".html")

_WORDS = {
    "title": (
        "Secants of {f} at {var} = {x}: slope → f′({x}) = {d}",
        "{f} 在 {var} = {x} 处的割线：斜率 → f′({x}) = {d}",
    ),
    "frame": (
        "h = {h}:  (f({var}+h) − f({var}))/h = {q}   |error| = {e}",
        "h = {h}：(f({var}+h) − f({var}))/h = {q}   |误差| = {e}",
    ),
    "rounds": (
        "h = {h}: {var} + h rounds to {var} in double precision, so the quotient is 0",
        "h = {h}：在双精度下 {var} + h 舍入为 {var}，差商为 0",
    ),
    "undefined": (
        "h = {h}: f({var} + h) is undefined, no secant",
        "h = {h}：f({var} + h) 无定义，没有割线",
    ),
    "secant": ("secant through x and x + h", "过 x 与 x + h 的割线"),
    "secant_rounded": (
        "secant through x and x + h as rounded ({x1})",
        "过 x 与舍入后的 x + h（{x1}）的割线",
    ),
    "secant_none": (
        "no secant: x + h rounds to x (the quotient is 0)",
        "没有割线：x + h 舍入为 x（差商为 0）",
    ),
    "forward_input": ("forward: input {id} = {v}", "前向：输入 {id} = {v}"),
    "forward_node": ("forward: {id} = {op} = {v}", "前向：{id} = {op} = {v}"),
    "backward": ("backward: {step}", "反向：{step}"),
    "done": ("done: {gradient}", "完成：{gradient}"),
    "backprop": ("backpropagation: {f}", "反向传播：{f}"),
    "tangent": ("tangent, slope f′ = {d}", "切线，斜率 f′ = {d}"),
    "points": ("(x, f(x)) and (x + h, f(x + h))", "(x, f(x)) 与 (x + h, f(x + h))"),
    "curve": ("|error| of (f(x+h) − f(x))/h", "(f(x+h) − f(x))/h 的 |误差|"),
    "frames": ("the frames' h", "各帧的 h"),
    "now": ("this frame", "当前帧"),
    "step": ("step h", "步长 h"),
    "error": ("|error| vs exact f′", "|误差|（相对于精确 f′）"),
    "roundoff": ("round-off ~ eps·|f|/h", "舍入误差 ~ eps·|f|/h"),
    "numerical": (
        "numerical f′ (error ≈ {e})",
        "数值 f′（误差 ≈ {e}）",
    ),
}
_w = functools.partial(localise, _WORDS)
_EPS = float(np.finfo(float).eps)


@dataclass(frozen=True)
class SecantFrame:
    """One frame: the secant through (x, f(x)) and (x + h, f(x + h)).

    Attributes
    ----------
    h : float
    x1 : float
        ``x + h`` as the computer holds it (equal to x when h is below x's
        resolution).
    f0, f1 : float
        f(x) and f(x + h).
    quotient : float
        ``(f(x + h) - f(x)) / h`` in double precision: the secant's slope
        (NaN where f(x + h) is undefined).
    error : float
        ``|quotient - f′(x)|``.
    """

    h: float
    x1: float
    f0: float
    f1: float
    quotient: float
    error: float


class _Frames(abc.ABC):
    """Output shared by the animations: ``.figure`` shows frame i after
    ``.draw(i)``; frames are written as GIF, MP4 or an HTML page."""

    figure: Figure
    #: (artist, position) of the layout computed for the first output
    _kept_layout: list | None = None

    @abc.abstractmethod
    def __len__(self) -> int:
        """The number of frames."""

    @abc.abstractmethod
    def draw(self, i: int):
        """Show frame `i` on :attr:`figure`."""

    # -- output ------------------------------------------------------------
    def _animation(self, fps: float):
        from matplotlib.animation import FuncAnimation

        return FuncAnimation(
            self.figure,
            self.draw,
            frames=len(self),
            interval=1000 / fps,
            repeat=False,
        )

    @contextlib.contextmanager
    def _laid_out_once(self):
        """Lay the figure out for frame 0, then keep that layout for every
        frame (a frame changes data and one line of title, never what the
        layout depends on): constrained layout run per frame was two thirds
        of the time to write an animation. The layout engine is put back."""
        fig = self.figure
        engine = fig.get_layout_engine()
        if engine is None:
            yield
            return
        kept = self._kept_layout
        if kept is None:
            self.draw(self._layout_frame())
            FigureCanvasAgg(fig).draw()  # the layout, computed once
            # and kept: constrained layout run again starts from where it
            # left the axes and moves them by a pixel (two saves differed)
            kept = [(ax, ax.get_position().frozen()) for ax in fig.axes]
            title = fig._suptitle
            kept.append((title, title.get_position() if title else None))
            self._kept_layout = kept
        fig.set_layout_engine("none")
        for artist, where in kept:
            if artist is not None and where is not None:
                artist.set_position(where)
        try:
            yield
        finally:
            fig.set_layout_engine(engine)

    def _layout_frame(self) -> int:
        """The frame the layout is computed for (the one whose changing
        texts need the most room)."""
        return 0

    #: Whether draw(i) only changes existing artists of the figure's axes
    #: (data, texts) and returns them: then frames are redrawn from the
    #: first changed artist of each axes on, over a saved background.
    _redraws_in_place = False

    def _frames_rgba(self):
        """Each frame's pixels (an RGBA array, valid until the next one), in
        the layout of frame 0. Where draw(i) changes artists in place, only
        each axes' artists from the first changed one on (in drawing order),
        and the figure's own texts drawn after the axes, are drawn again over
        a background of everything before them: the same artists in the same
        order on the same pixels, so the same image (a test compares every
        frame with whole redraws), in half the time; tick labels and the
        curves beneath are drawn once."""
        fig = self.figure
        with self._laid_out_once():
            canvas = FigureCanvasAgg(fig)
            plan = self._redraw_plan() if self._redraws_in_place else None
            if plan is None:
                for i in range(len(self)):
                    self.draw(i)
                    canvas.draw()
                    yield np.asarray(canvas.buffer_rgba())
                return
            suffixes, on_top = plan
            animated = [a for s in suffixes for a in s] + on_top
            for a in animated:
                a.set_animated(True)  # left out of the background
            try:
                self.draw(0)
                canvas.draw()
                background = canvas.copy_from_bbox(fig.bbox)
                renderer = canvas.get_renderer()
                for i in range(len(self)):
                    self.draw(i)
                    canvas.restore_region(background)
                    for ax, suffix in zip(fig.axes, suffixes, strict=True):
                        if suffix:
                            # as Axes.draw does first: a title's height
                            # (a frame's text) moves it
                            ax._update_title_position(renderer)
                        for a in suffix:
                            a.draw(renderer)
                    for a in on_top:  # the figure's title: a frame's text may
                        a.draw(renderer)  # reach under it
                    yield np.asarray(canvas.buffer_rgba())
            finally:
                for a in animated:
                    a.set_animated(False)

    def _redraw_plan(self) -> tuple[list[list], list] | None:
        """(each axes' redrawn artists, the figure's artists drawn after all
        its axes), or None where frames must be drawn whole: a changed
        artist outside the axes, or a figure artist drawn between two axes."""
        fig = self.figure
        suffixes = self._redrawn_artists()
        if suffixes is None:
            return None
        order = sorted(
            (c for c in fig.get_children() if c is not fig.patch),
            key=lambda c: c.get_zorder(),
        )
        at = [k for k, c in enumerate(order) if c in fig.axes]
        if not at or any(c not in fig.axes for c in order[min(at) : max(at)]):
            return None
        return suffixes, order[max(at) + 1 :]

    def _redrawn_artists(self) -> list[list] | None:
        """For each axes, its artists in drawing order (by zorder, as
        ``Axes.draw`` sorts them) from the first one that draw(i) changes or
        contains a changed one (a legend's text); None where a changed
        artist belongs to no axes (then every frame is drawn whole)."""
        from operator import attrgetter

        changed = set(self.draw(0))
        found: set = set()
        out = []
        for ax in self.figure.axes:
            children = [c for c in ax.get_children() if c is not ax.patch]
            children.sort(key=attrgetter("zorder"))  # stable, as Axes.draw
            first = None
            for k, c in enumerate(children):
                inside = changed.intersection(c.findobj())
                if inside:
                    found |= inside
                    if first is None:
                        first = k
            out.append([] if first is None else children[first:])
        if found != changed or not all(
            hasattr(ax, "_update_title_position") for ax in self.figure.axes
        ):
            return None
        return out

    def to_jshtml(self, fps: float = 3) -> str:
        """The animation as HTML with play controls (frames inlined as PNG)."""
        _check_fps(fps)
        with self._laid_out_once():
            return self._animation(fps).to_jshtml(fps=fps, default_mode="once")

    def _repr_html_(self) -> str:
        return self.to_jshtml()

    def save(self, path, *, fps: float = 3, dpi: int | None = None) -> Path:
        """Write the animation: ``.gif`` (Pillow), ``.mp4`` (needs ffmpeg) or
        ``.html`` (a self-contained page). The file appears whole or not at
        all (written to a temporary file, then renamed). `dpi` defaults to
        :meth:`readable_dpi`: its smallest text at least 12 pixels high."""
        from dfdx.core._files import atomic_write

        _check_fps(fps)
        dpi = self.readable_dpi() if dpi is None else _check_dpi(dpi)
        target = check_animation_path(path)
        ext = target.suffix.lower()
        if ext == ".gif":
            return atomic_write(target, lambda fh: self._write_gif(fh, fps, dpi))
        if ext == ".html":
            title = html.escape(self._title_text())
            page = (
                '<!DOCTYPE html>\n<html><head><meta charset="utf-8">'
                f"<title>{title}</title></head>\n<body>\n"
                f"{self.to_jshtml(fps)}\n</body></html>\n"
            )
            return atomic_write(target, lambda fh: fh.write(page.encode("utf-8")))
        with tempfile.TemporaryDirectory() as tmp:
            out = os.path.join(tmp, "animation.mp4")
            with self._laid_out_once():
                self._animation(fps).save(out, writer="ffmpeg", fps=fps, dpi=dpi)
            data = Path(out).read_bytes()
        return atomic_write(target, lambda fh: fh.write(data))

    def _write_gif(self, fh, fps: float, dpi: int) -> None:
        from PIL import Image

        self.figure.set_dpi(dpi)
        images = [
            Image.fromarray(rgba)
            .convert("RGB")
            .quantize(colors=128, dither=Image.Dither.NONE)
            for rgba in self._frames_rgba()
        ]
        durations = [round(1000 / fps)] * len(images)
        durations[-1] *= 4  # rest on the last frame before looping
        images[0].save(
            fh,
            format="GIF",
            save_all=True,
            append_images=images[1:],
            duration=durations,
            loop=0,
        )

    def to_gif(self, fps: float = 3, dpi: int | None = None) -> bytes:
        """The animation as GIF bytes, e.g. for ``IPython.display.Image(data=...,
        format='gif')``, which GitHub and VS Code show in a saved notebook at
        its pixel size. `dpi` defaults to :meth:`readable_dpi`: its smallest
        text at least 12 pixels high (at 72 dpi a 7-point label is 7 pixels)."""
        _check_fps(fps)
        dpi = self.readable_dpi() if dpi is None else _check_dpi(dpi)
        buf = io.BytesIO()
        self._write_gif(buf, fps, dpi)
        return buf.getvalue()

    def readable_dpi(self) -> int:
        """The resolution at which the smallest text of every frame is at
        least 12 pixels high (never below 100)."""
        from matplotlib.text import Text

        smallest = None
        for i in (0, len(self) - 1):
            self.draw(i)
            for t in self.figure.findobj(Text):
                if t.get_visible() and t.get_text().strip():
                    size = float(t.get_fontsize())
                    smallest = size if smallest is None else min(smallest, size)
        self.draw(0)
        if smallest is None:
            return 100
        return max(100, math.ceil(MIN_TEXT_PIXELS * 72 / smallest))

    def _title_text(self) -> str:
        return self.figure.get_suptitle()


class SecantAnimation(_Frames):
    """Secants for shrinking h beside the error-versus-h curve.

    Attributes
    ----------
    frames : tuple of SecantFrame
    at : float
    slope : float
        The exact f′(at) (or a numerical one for a callable, said in the
        figure).
    best : int
        Index of the frame with the smallest error.
    figure : matplotlib.figure.Figure
        The figure, showing the frame last drawn.

    Notes
    -----
    ``save(path)`` writes a GIF (Pillow), an MP4 (needs ffmpeg) or a
    self-contained HTML page; in a notebook the animation displays itself with
    play controls (``to_jshtml``).
    """

    _redraws_in_place = True  # draw(i) sets data and texts of fixed artists

    def __init__(self, func, label, var, at, slope, reference, frames, xlim, lang):
        self.frames: tuple[SecantFrame, ...] = tuple(frames)
        self.at = at
        self.slope = slope
        self.lang = lang
        self._var = var
        errors = np.array([fr.error for fr in self.frames])
        self.best = int(np.nanargmin(errors)) if np.isfinite(errors).any() else 0
        fig = Figure(figsize=(10.5, 4.6), layout="constrained")
        FigureCanvasAgg(fig)
        self.figure = fig
        ax_f, ax_e = fig.subplots(1, 2, width_ratios=(1.15, 1))
        self.axes = (ax_f, ax_e)
        plot_function(func, xlim=xlim, ax=ax_f, legend=False, lang=lang)
        lo, hi = xlim
        self._window = np.array([lo, hi])
        f0 = self.frames[0].f0
        ax_f.plot(
            self._window,
            f0 + slope * (self._window - at),
            "--",
            color="m",
            linewidth=1.3,
            zorder=4.5,  # dashed above the secant: both stay visible when they meet
            label=_w("tangent", lang, d=f"{slope:.6g}"),
        )
        (self.secant_line,) = ax_f.plot(
            [], [], "-", color="C3", linewidth=1.6, zorder=4, label=_w("secant", lang)
        )
        (self.points,) = ax_f.plot(
            [], [], "o", color="C3", markersize=5, zorder=5, label=_w("points", lang)
        )
        self._title = ax_f.set_title("", fontsize="small")
        shown = math_label(func, lang=lang) if is_expression_like(func) else label
        fig.suptitle(
            _w("title", lang, f=shown, var=var, x=_num(at), d=f"{slope:.6g}"),
            fontsize="medium",
        )
        # the error-versus-h curve (h increasing to the right) and the frames
        hs = np.geomspace(
            max(fr.h for fr in self.frames), min(fr.h for fr in self.frames), 400
        )
        q = _quotients(func, at, hs, f0)
        err = np.abs(q - slope)
        ax_e.loglog(
            hs, np.where(err > 0, err, np.nan), "-", color="C0", label=_w("curve", lang)
        )
        ax_e.loglog(
            hs,
            10 * _EPS * max(abs(f0), 1e-300) / hs,
            ":",
            color="0.3",
            linewidth=1.1,
            zorder=4,
            label=_w("roundoff", lang),
        )
        fh = np.array([fr.h for fr in self.frames])
        ax_e.loglog(
            fh,
            np.where(errors > 0, errors, np.nan),
            "o",
            color="C0",
            markersize=3,
            alpha=0.6,
            label=_w("frames", lang),
        )
        (self.marker,) = ax_e.loglog(
            [], [], "o", color="C3", markersize=9, zorder=6, label=_w("now", lang)
        )
        self.h_line = ax_e.axvline(fh[0], color="C3", linewidth=0.8, alpha=0.6)
        ax_e.set_xlabel(_w("step", lang))
        ax_e.set_ylabel(reference)
        ax_e.grid(True, which="major", alpha=0.4)
        for ax in (ax_f, ax_e):  # legends below the axes: they never cover data
            ax.legend(
                loc="upper center",
                bbox_to_anchor=(0.5, -0.16),
                ncols=2,
                fontsize="x-small",
                frameon=False,
            )
        # the secant's legend entry names the line each frame draws
        entries = ax_f.get_legend().get_texts()
        self._secant_label = next(
            t for t in entries if t.get_text() == _w("secant", lang)
        )
        prepare_figure(fig)
        self.draw(0)

    def __len__(self) -> int:
        return len(self.frames)

    def __repr__(self) -> str:
        b = self.frames[self.best]
        return (
            f"SecantAnimation(at={self.at:g}, {len(self)} frames, h from "
            f"{self.frames[0].h:g} to {self.frames[-1].h:g}; best h = {b.h:g}, "
            f"error {b.error:.2g})"
        )

    def draw(self, i: int):
        """Show frame `i` on :attr:`figure`; returns the artists it changed."""
        fr = self.frames[i]
        lang, var = self.lang, self._var
        if math.isfinite(fr.quotient):
            y = fr.f0 + fr.quotient * (self._window - self.at)
            self.secant_line.set_data(self._window, y)
            self.points.set_data([self.at, fr.x1], [fr.f0, fr.f1])
        else:
            self.secant_line.set_data([], [])
            self.points.set_data([self.at], [fr.f0])
        if not math.isfinite(fr.f1):
            words = _w("undefined", lang, h=f"{fr.h:.0e}", var=var)
        elif fr.x1 == self.at:
            words = _w("rounds", lang, h=f"{fr.h:.0e}", var=var)
        else:
            words = _w(
                "frame",
                lang,
                h=f"{fr.h:.1e}",
                var=var,
                q=f"{fr.quotient:.12g}",
                e=f"{fr.error:.1e}",
            )
        self._title.set_text(words)
        self._secant_label.set_text(self._secant_words(fr))
        if has_cjk(words):
            prepare_figure(self.figure)
        if fr.error > 0 and math.isfinite(fr.error):
            self.marker.set_data([fr.h], [fr.error])
        else:  # an error of exactly 0 has no place on a log axis
            self.marker.set_data([], [])
        self.h_line.set_xdata([fr.h, fr.h])
        return [
            self.secant_line,
            self.points,
            self._title,
            self.marker,
            self.h_line,
            self._secant_label,
        ]

    def _layout_frame(self) -> int:
        """The frame with the longest title and secant label: a long title
        is raised above the axis's offset text ("1e6"), so a layout made for
        a short one let it run into the figure's title."""
        sizes = []
        for i in range(len(self)):
            self.draw(i)
            sizes.append(
                len(self._title.get_text()) + len(self._secant_label.get_text())
            )
        return int(np.argmax(sizes))

    def _secant_words(self, fr: SecantFrame) -> str:
        """The legend's name for the line frame `fr` draws: the secant, the
        secant through the rounded x + h where rounding moved it, or none."""
        if fr.x1 == self.at:
            return _w("secant_none", self.lang)
        if abs((fr.x1 - self.at) - fr.h) > 1e-6 * fr.h:
            return _w("secant_rounded", self.lang, x1=f"{fr.x1:.17g}")
        return _w("secant", self.lang)


def check_animation_path(path) -> Path:
    """`path` as a Path, or a DfdxError for a path or format that cannot be
    written."""
    from dfdx.core._files import output_path

    target = output_path(path, _FORMATS, "the animation file")
    ext = target.suffix.lower()
    if ext == ".mp4" and shutil.which("ffmpeg") is None:
        raise DfdxError(
            "writing .mp4 needs ffmpeg, which is not installed; write a .gif "
            "or .html instead (or install ffmpeg)"
        )
    return target


#: the height in pixels of the smallest text in a GIF written at its
#: default resolution
MIN_TEXT_PIXELS = 12


def _check_dpi(dpi) -> int:
    if (
        isinstance(dpi, bool)
        or not isinstance(dpi, (int, float))
        or not 20 <= dpi <= 600
    ):
        raise DfdxError(f"dpi must be a number from 20 to 600, got {dpi!r}")
    return int(dpi)


def _check_fps(fps) -> None:
    if not isinstance(fps, (int, float)) or not (0.1 <= fps <= 60):
        raise DfdxError(f"fps must be a number from 0.1 to 60, got {fps!r}")


def _quotients(func, at: float, hs: np.ndarray, f0: float) -> np.ndarray:
    """(f(at + h) − f(at))/h in double precision, NaN where f(at + h) is
    undefined."""
    with np.errstate(all="ignore"):
        return (evaluate(func, at + hs) - f0) / hs


def _h_values(h_values) -> np.ndarray:
    if h_values is None:  # 1, 10^-0.5, ..., 1e-15: through the best h and past it
        return 10.0 ** -np.arange(0, 15.25, 0.5)
    hs = float_array(h_values, "h_values")
    if hs.ndim != 1 or hs.size == 0:
        raise DfdxError("h_values must be a non-empty sequence of positive numbers")
    if hs.size > MAX_FRAMES:
        raise DfdxError(
            f"h_values has {hs.size} values; at most {MAX_FRAMES} frames are drawn"
        )
    if not (np.isfinite(hs).all() and (hs > 0).all()):
        raise DfdxError("every h must be a finite positive number")
    return hs


@one_font_warning
def animate_secants(
    f,
    at,
    *,
    h_values=None,
    path=None,
    xlim=None,
    fps: float = 3,
    lang: str = "en",
) -> SecantAnimation:
    """Animate secants closing on the tangent as h shrinks, into round-off.

    Parameters
    ----------
    f : str, Expression or callable
        A function of one variable.
    at : float
        The point x where the tangent touches.
    h_values : sequence of float, optional
        The step of each frame. Default: 31 frames from h = 1 down to 1e-15
        (half a decade each), past the best h (≈ 1e-8 for f of order 1) into
        the regime where round-off ruins the quotient.
    path : str or path, optional
        Also write the animation there (.gif, .mp4 or .html).
    xlim : (float, float), optional
        The window of the left panel (default: `at` ± 1.5 × the largest h).
    fps : float, optional
        Frames per second of the written file (default 3).
    lang : {'en', 'zh'}, optional

    Returns
    -------
    SecantAnimation
        ``.frames`` holds each frame's h, f values, quotient and error;
        ``.save(path)``; notebooks show it with play controls.

    Raises
    ------
    DfdxError
        For a point where f is undefined or not differentiable (the message
        says why), bad `h_values`, or an unknown output format.

    Examples
    --------
    >>> import dfdx
    >>> a = dfdx.animate_secants("x^2", at=1)
    >>> len(a.frames), a.frames[0].quotient, a.frames[a.best].h
    (31, 3.0, 1e-08)
    >>> a.frames[-1].quotient   # h = 1e-15: round-off, not 2
    2.220446049250313
    """
    check_lang(lang)
    func, label, var = _function_and_label(f)
    x0 = finite_number(at, "at")  # the same rule as tangent_line: no bools
    hs = _h_values(h_values)
    f0 = float(evaluate(func, np.array([x0]))[0])
    if not math.isfinite(f0):
        raise UndefinedError(f"f is undefined at {var} = {x0:g}: there is no tangent")
    reference = _w("error", lang)
    if is_expression_like(f):
        from dfdx.exact.symbolic import derivative_at

        slope = float(derivative_at(func, x0)[1])
    else:
        from dfdx.numeric import derivative

        res = derivative(func, x0)
        if res.status != 0 or not np.isfinite(float(res.df)):
            raise DfdxError(
                f"no reliable derivative of f at x = {x0:g} ({res.message}); "
                "the secants need a tangent to close on"
            )
        slope = float(res.df)
        reference = _w("numerical", lang, e=f"{float(res.error):.0e}")
    xlim = _check_lim(xlim, "xlim")
    if xlim is None:
        half = 1.5 * max(float(hs.max()), 0.5)
        xlim = (x0 - half, x0 + half)
    x1 = x0 + hs
    f1 = evaluate(func, x1)
    with np.errstate(all="ignore"):
        q = (f1 - f0) / hs
    frames = [
        SecantFrame(
            h=float(h),
            x1=float(a),
            f0=f0,
            f1=float(b),
            quotient=float(c),
            error=abs(float(c) - slope),
        )
        for h, a, b, c in zip(hs, x1, f1, q, strict=True)
    ]
    anim = SecantAnimation(func, label, var, x0, slope, reference, frames, xlim, lang)
    if path is not None:
        anim.save(path, fps=fps)
    return anim


class GraphAnimation(_Frames):
    """A computation graph's forward then backward pass, one node per frame
    (see :meth:`dfdx.ComputationGraph.animate`).

    Attributes
    ----------
    captions : tuple of str
        Each frame's step: ``forward: v1 = x*y = 2``, then the lines of
        :meth:`~dfdx.ComputationGraph.steps`.
    states : tuple of (shown values, shown gradients, lit node)
        What each frame shows: the ids whose value has been computed, the
        gradients computed so far, and the node of the moment.
    """

    def __init__(self, graph, lang: str = "en"):
        from dfdx.several.graph import _WORDS as _GRAPH_WORDS
        from dfdx.several.graph import _num, text_width

        check_lang(lang)
        if 2 * len(graph.nodes) + 1 > MAX_FRAMES:
            raise DfdxError(
                f"the graph has {len(graph.nodes)} nodes: its animation would have "
                f"{2 * len(graph.nodes) + 1} frames, more than {MAX_FRAMES} (graphs "
                f"of up to {(MAX_FRAMES - 1) // 2} nodes); use .steps() or .to_svg()"
            )
        self.graph = graph
        self.lang = lang
        steps = list(graph.steps())  # sets every grad
        final = {n.id: n.grad for n in graph.nodes}
        states: list[tuple[frozenset, dict, str | None]] = []
        captions: list[str] = []
        done: list[str] = []
        for n in graph.nodes:
            done.append(n.id)
            states.append((frozenset(done), {}, n.id))
            if n.is_input:
                captions.append(_w("forward_input", lang, id=n.id, v=_num(n.value)))
            else:
                captions.append(
                    _w(
                        "forward_node",
                        lang,
                        id=n.id,
                        op=n.shown or n.op,
                        v=_num(n.value),
                    )
                )
        everything = frozenset(done)
        grads: dict[str, float] = {}
        for st in steps:
            grads = {**grads, st.node: st.grad}
            states.append((everything, grads, st.node))
            captions.append(_w("backward", lang, step=st))
        states.append((everything, grads, None))
        gradient = ", ".join(f"∂f/∂{k} = {_num(final[k])}" for k in graph.inputs)
        captions.append(_w("done", lang, gradient=gradient))
        self.states = tuple(states)
        self.captions = tuple(captions)
        # boxes sized by their final text, so that frames do not jump
        value = localise(_GRAPH_WORDS, "value", lang)
        grad = localise(_GRAPH_WORDS, "grad", lang)
        self._widths = {
            n.id: max(
                min(len(n.id if n.is_input else f"{n.id} = {n.shown or n.op}"), 22),
                text_width(f"{value} {_num(n.value)}"),
                text_width(f"{grad} {_num(final[n.id])}"),
            )
            for n in graph.nodes
        }
        self.figure = Figure(
            figsize=graph._size(final, caption=True, widths=self._widths, lang=lang),
            dpi=100,
        )
        FigureCanvasAgg(self.figure)
        self.draw(0)

    def __len__(self) -> int:
        return len(self.states)

    def __repr__(self) -> str:
        return f"GraphAnimation({len(self.graph.nodes)} nodes, {len(self)} frames)"

    #: the drawn frame's texts by gid, and the box sizes they were laid out
    #: for (None before the first draw)
    _drawn: tuple[dict, dict] | None = None

    def draw(self, i: int):
        """Show frame `i` on :attr:`figure`: the texts of the frame drawn
        before are updated in place where the boxes keep their sizes (the
        layout depends on nothing else); otherwise the figure is drawn anew."""
        graph = self.graph
        shown, known, lit = self.states[i]
        values = set(shown)
        grads = {n.id: known.get(n.id) for n in graph.nodes}
        sizes = graph._box_sizes(values, grads, self._widths, self.lang)
        if self._drawn is not None and self._drawn[1] == sizes:
            texts = self._drawn[0]
            for n in graph.nodes:
                t = texts[f"node-{n.id}"]
                lines = graph._box_lines(n, values, grads, self._widths, self.lang)
                t.set_text("\n".join(lines))
                t.get_bbox_patch().update(graph._box_style(n, lit))
            for e in graph.edges:
                label = texts.get(f"label-{e.child}-{e.parent}")
                if label is not None:
                    label.set_visible(graph._label_shown(e, values))
            width = self.figure.get_size_inches()[0]
            texts["caption"].set_text(graph._caption_text(self.captions[i], width))
            texts["legend"].set_text(graph._legend_text(grads, self.lang))
            return list(texts.values())
        self.figure.clear()
        graph._draw(
            self.figure,
            values=values,
            grads=grads,
            highlight=lit,
            caption=self.captions[i],
            widths=self._widths,
            lang=self.lang,
        )
        texts = {
            t.get_gid(): t
            for t in self.figure.findobj(matplotlib.text.Text)
            if t.get_gid() is not None
        }
        complete = {"caption", "legend"} | {f"node-{n.id}" for n in graph.nodes}
        self._drawn = (texts, sizes) if complete <= set(texts) else None
        return list(self.figure.get_children())

    def _title_text(self) -> str:
        return _w("backprop", self.lang, f=self.graph.expression.written_text)

    # -- frames drawn where they change --------------------------------------
    def _frames_rgba(self):
        """Each frame's pixels. A frame changes a few boxes (the node of the
        moment, a value or gradient filled in) and the caption: after the
        first frame only the regions of the texts that changed are drawn
        again, over a background of what no frame changes (the arrows), and
        every text whose region meets them is drawn again too, in the order
        a whole redraw draws them: the same pixels (a test compares every
        frame with whole redraws), most of the glyph rendering skipped.
        Frames are drawn whole where anything but the texts changes."""
        fig = self.figure
        canvas = FigureCanvasAgg(fig)
        self.draw(0)
        texts = _drawn_texts(fig)
        if texts is None:
            yield from super()._frames_rgba()
            return
        for t in texts:
            t.set_visible(False)
        canvas.draw()
        background = np.asarray(canvas.buffer_rgba()).copy()
        for t in texts:
            t.set_visible(True)
        canvas.draw()
        # (an arrow's path is final once drawn: its dpi correction)
        static = self._static_state()
        renderer = canvas.get_renderer()
        buffer = np.asarray(canvas.buffer_rgba())
        margin = 3 + math.ceil(3 * fig.dpi / 72)  # a thick box edge, antialiasing
        before = _text_boxes(texts, renderer, margin)
        yield buffer
        for i in range(1, len(self)):
            self.draw(i)
            texts = _drawn_texts(fig)
            if texts is None or self._static_state() != static:
                canvas.draw()  # the layout moved: the whole frame
                buffer = np.asarray(canvas.buffer_rgba())
                before = _text_boxes(_drawn_texts(fig) or [], renderer, margin)
                yield buffer
                continue
            now = _text_boxes(texts, renderer, margin, before)
            # texts that changed, came or went, at their old and new places
            redraw = {k for k in now if before.get(k, (None,))[0] != now[k][0]}
            rects = [now[k][1] for k in redraw]
            rects += [before[k][1] for k in before if k in redraw or k not in now]
            grown = True
            while grown:  # a text that meets a redrawn region is redrawn whole
                grown = False
                for k, (_, box) in now.items():
                    if k not in redraw and any(_meets(box, r) for r in rects):
                        redraw.add(k)
                        rects.append(box)
                        grown = True
            height, width = buffer.shape[:2]
            for x0, y0, x1, y1 in rects:
                rows = slice(max(0, height - y1), max(0, min(height, height - y0)))
                cols = slice(max(0, x0), max(0, min(width, x1)))
                buffer[rows, cols] = background[rows, cols]
            for t in texts:  # in drawing order
                if id(t) in redraw:
                    t.draw(renderer)
            before = now
            yield buffer

    def _static_state(self):
        """What the frames must share for their texts alone to differ: the
        figure's size, the axes' places and limits, and every artist other
        than a text (the arrows), or None where the axes draw anything
        after a text."""
        fig = self.figure
        state: list = [tuple(fig.get_size_inches()), fig.dpi]
        for ax in fig.axes:
            state += [tuple(ax.get_position().bounds), ax.get_xlim(), ax.get_ylim()]
            for c in ax.get_children():
                if isinstance(c, matplotlib.patches.Patch) and c is not ax.patch:
                    path = c.get_path()
                    state.append(
                        (
                            type(c).__name__,
                            path.vertices.tobytes(),
                            tuple(c.get_facecolor()),
                            tuple(c.get_edgecolor()),
                            c.get_linewidth(),
                            c.get_zorder(),
                        )
                    )
        return tuple(state)


def _drawn_texts(fig) -> list | None:
    """The figure's texts in the order a whole redraw draws them (each axes'
    children by zorder, then the figure's own texts), or None where
    something other than a text is drawn after a text (then a text's region
    cannot be drawn again on its own)."""
    from operator import attrgetter

    from matplotlib.text import Text

    out = []
    for ax in fig.axes:
        kids = sorted(
            (c for c in ax.get_children() if c is not ax.patch and c.get_visible()),
            key=attrgetter("zorder"),
        )
        seen_text = False
        for c in kids:
            if isinstance(c, Text):
                if c.get_text():
                    out.append(c)
                    seen_text = True
            elif seen_text and not isinstance(
                c, matplotlib.axis.Axis | matplotlib.spines.Spine
            ):
                return None
    rest = sorted(
        (c for c in fig.get_children() if c is not fig.patch and c not in fig.axes),
        key=attrgetter("zorder"),
    )
    if any(not isinstance(c, Text) for c in rest):
        return None
    if any(c.get_zorder() < ax.get_zorder() for c in rest for ax in fig.axes):
        return None
    return out + [c for c in rest if c.get_visible() and c.get_text()]


def _text_boxes(texts, renderer, margin: int, known: dict | None = None) -> dict:
    """id(text) -> (what decides its pixels, the pixels it may touch); a
    text whose pixels are decided as in `known` keeps its place there."""
    out = {}
    for t in texts:
        key = _text_key(t)
        same = known.get(id(t)) if known else None
        if same is not None and same[0] == key:
            out[id(t)] = same
        else:
            out[id(t)] = (key, _text_box(t, renderer, margin))
    return out


def _text_key(t) -> tuple:
    """Everything that decides a text's pixels."""
    patch = t.get_bbox_patch()
    box = None
    if patch is not None:
        box = (
            tuple(patch.get_facecolor()),
            tuple(patch.get_edgecolor()),
            patch.get_linewidth(),
            type(patch.get_boxstyle()).__name__,
            tuple(sorted(vars(patch.get_boxstyle()).items())),
        )
    props = t.get_fontproperties()
    return (
        t.get_text(),
        tuple(t.get_position()),
        str(t.get_color()),
        t.get_ha(),
        t.get_va(),
        t.get_rotation(),
        props.get_size_in_points(),
        tuple(props.get_family()),
        props.get_weight(),
        props.get_style(),
        t.get_zorder(),
        box,
    )


def _text_box(t, renderer, margin: int) -> tuple[int, int, int, int]:
    """The pixels a text (and its box) may touch, in display coordinates
    (origin bottom left), widened by `margin`."""
    ext = t.get_window_extent(renderer)
    patch = t.get_bbox_patch()
    if patch is not None:
        t.update_bbox_position_size(renderer)
        ext = matplotlib.transforms.Bbox.union([ext, patch.get_window_extent(renderer)])
    return (
        math.floor(ext.x0) - margin,
        math.floor(ext.y0) - margin,
        math.ceil(ext.x1) + margin,
        math.ceil(ext.y1) + margin,
    )


def _meets(a: tuple, b: tuple) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]
