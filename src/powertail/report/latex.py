r"""Inline TeX in report text, rendered readably and offline: Unicode symbols, ``<sub>``/``<sup>``.

Study descriptions (module docstrings), table headers and table cells may carry TeX, e.g.
``\alpha \in \{1.5, 2\}``, ``x_{\min}``, ``$\hat\alpha$``, ``K_c^{(p)}`` or a reST
``.. math::`` block. :func:`tex_to_html` turns such text into HTML that reads like the formula:

* ``$...$`` and ``.. math::`` blocks are math; everywhere else only unmistakable TeX is touched
  (backslash macros, braced scripts ``_{...}``/``^{...}``, and one-character scripts on a
  one-letter or macro base such as ``w_0`` or ``\sigma_w^2``), so prose like ``fit_power_law``
  or a column name like ``K_c_order_2`` keeps its underscores;
* Greek letters, relations and operators become Unicode (``\le`` → ≤, ``\hat\alpha`` → α̂),
  function names become text (``\min`` → min), ``\frac{a}{b}`` → a/b, ``\sqrt{x}`` → √x, and
  an unknown macro ``\foo`` is shown as ``foo``;
* every other character is HTML-escaped, and the only tags written are ``<sub>`` and ``<sup>``,
  each opened and closed by the same call, so the output is well-formed whatever the input.

Text with no TeX in it (:func:`looks_like_tex`) is only escaped (:func:`html.escape`), as
before; so is a Windows path such as ``C:\Users\me``, whose backslashes start no known macro.
:func:`tex_to_text` gives the same reading as plain text (``x_min``, ``x^(−α)``) for places that
cannot hold tags, such as ``<title>`` or an ``alt`` attribute (escape it there).
"""

from __future__ import annotations

import html
import re

__all__ = ["looks_like_tex", "tex_to_html", "tex_to_text"]

# fmt: off
_SYMBOLS: dict[str, str] = {
    # Greek (TeX's \epsilon and \phi are the lunate/closed forms; \var... the open ones)
    "alpha": "α", "beta": "β", "gamma": "γ", "delta": "δ", "epsilon": "ϵ", "varepsilon": "ε",
    "zeta": "ζ", "eta": "η", "theta": "θ", "vartheta": "ϑ", "iota": "ι", "kappa": "κ",
    "lambda": "λ", "mu": "μ", "nu": "ν", "xi": "ξ", "pi": "π", "varpi": "ϖ", "rho": "ρ",
    "varrho": "ϱ", "sigma": "σ", "varsigma": "ς", "tau": "τ", "upsilon": "υ", "phi": "ϕ",
    "varphi": "φ", "chi": "χ", "psi": "ψ", "omega": "ω", "Gamma": "Γ", "Delta": "Δ",
    "Theta": "Θ", "Lambda": "Λ", "Xi": "Ξ", "Pi": "Π", "Sigma": "Σ", "Upsilon": "Υ",
    "Phi": "Φ", "Psi": "Ψ", "Omega": "Ω",
    # relations, operators, arrows, delimiters
    "le": "≤", "leq": "≤", "ge": "≥", "geq": "≥", "ne": "≠", "neq": "≠", "approx": "≈",
    "sim": "∼", "simeq": "≃", "lesssim": "≲", "gtrsim": "≳", "propto": "∝", "equiv": "≡",
    "ll": "≪", "gg": "≫", "pm": "±", "mp": "∓", "times": "×", "cdot": "·", "div": "÷",
    "ast": "∗", "star": "⋆", "circ": "∘", "oplus": "⊕", "otimes": "⊗", "infty": "∞",
    "partial": "∂", "nabla": "∇", "sum": "∑", "prod": "∏", "int": "∫", "oint": "∮",
    "in": "∈", "notin": "∉", "subset": "⊂", "subseteq": "⊆", "cup": "∪", "cap": "∩",
    "forall": "∀", "exists": "∃", "emptyset": "∅", "neg": "¬", "land": "∧", "lor": "∨",
    "perp": "⊥", "parallel": "∥", "to": "→", "rightarrow": "→", "leftarrow": "←",
    "leftrightarrow": "↔", "Rightarrow": "⇒", "Leftarrow": "⇐", "Leftrightarrow": "⇔",
    "mapsto": "↦", "langle": "⟨", "rangle": "⟩", "lfloor": "⌊", "rfloor": "⌋", "lceil": "⌈",
    "rceil": "⌉", "mid": "|", "vert": "|", "lvert": "|", "rvert": "|", "Vert": "‖",
    "lVert": "‖", "rVert": "‖", "ell": "ℓ", "hbar": "ħ", "prime": "′", "ldots": "…",
    "dots": "…", "cdots": "⋯", "colon": ":",
    # spacing
    "quad": "\u2003", "qquad": "\u2003\u2003",
}
# fmt: on
_FUNCTIONS = frozenset(
    "min max log ln lg exp sin cos tan cot sec csc sinh cosh tanh arcsin arccos arctan arg "
    "det dim sup inf lim liminf limsup gcd deg ker Pr".split()
)
"""Macros shown as their own name (``\\min`` → min)."""
_IGNORED = frozenset(
    "left right big Big bigg Bigg bigl Bigl biggl Biggl bigr Bigr biggr Biggr bigm Bigm "
    "displaystyle textstyle scriptstyle limits nolimits".split()
)
"""Sizing and layout macros that have no reading of their own."""
# fmt: off
_ACCENTS = {
    "hat": "\u0302", "widehat": "\u0302", "tilde": "\u0303", "widetilde": "\u0303",
    "bar": "\u0304", "overline": "\u0305", "dot": "\u0307", "ddot": "\u0308", "vec": "\u20d7",
}
# fmt: on
"""Accent macros -> the Unicode combining mark written after their argument."""
_FONTS = frozenset(
    "mathrm mathbf mathit mathsf mathtt mathcal mathbb mathfrak boldsymbol bm operatorname "
    "text textrm textbf textit textsf texttt emph mbox".split()
)
"""Font macros: their argument is shown as it is."""
_ESCAPED = {",": "\u2009", ";": " ", ":": " ", " ": " ", "!": "", "|": "‖", "\\": "\n"}
"""``\\`` followed by one of these characters; any other character stands for itself."""

_KNOWN = {*_SYMBOLS, *_FUNCTIONS, *_IGNORED, *_ACCENTS, *_FONTS, "sqrt", "frac", "dfrac", "tfrac"}
_MACRO = re.compile(r"\\([A-Za-z]+)")
_NAME = re.compile(r"[A-Za-z]+")
_TEX = re.compile(r"\$[^$\n]+\$|[_^]\{|^[ \t]*\.\. math::", re.MULTILINE)
_MATH_BLOCK = re.compile(r"^([ \t]*)\.\. math::[ \t]*(.*(?:\n(?:\1[ \t]+\S.*|[ \t]*$))*)", re.M)
_SIMPLE_ARGUMENT = re.compile(r"\s*(?:[A-Za-z0-9.]+|\\[A-Za-z]+)\s*")
_SCRIPT = re.compile(r"[_^](?:\{[^{}]*\}|\\[A-Za-z]+|\w)")


def looks_like_tex(text: str) -> bool:
    """True when ``text`` holds a macro this module knows (``\\alpha``, not the ``\\Users`` of a
    Windows path), ``$...$``, a braced script ``_{``/``^{`` or a ``.. math::`` block."""
    if _TEX.search(text) is not None:
        return True
    return any(m.group(1) in _KNOWN for m in _MACRO.finditer(text))


def tex_to_html(text: str) -> str:
    """``text`` as HTML, its TeX rendered with Unicode and ``<sub>``/``<sup>`` (module doc)."""
    if not looks_like_tex(text):
        return html.escape(text)
    try:
        return _render(text, _Html())
    except RecursionError:  # braces nested hundreds deep: show the source instead
        return html.escape(text)


def tex_to_text(text: str) -> str:
    """``text`` with its TeX read as plain Unicode text (``x_{\\min}`` → ``x_min``); unescaped."""
    if not looks_like_tex(text):
        return text
    try:
        return _render(text, _Plain())
    except RecursionError:
        return text


class _Html:
    """Output of :func:`tex_to_html`: escaped characters, scripts as tags."""

    def chars(self, text: str) -> str:
        return html.escape(text)

    def script(self, kind: str, inner: str) -> str:
        tag = "sub" if kind == "_" else "sup"
        return f"<{tag}>{inner}</{tag}>"


class _Plain:
    """Output of :func:`tex_to_text`: raw characters, scripts as ``_x`` / ``^(...)``."""

    def chars(self, text: str) -> str:
        return text

    def script(self, kind: str, inner: str) -> str:
        return kind + (inner if len(inner) <= 1 or inner.isalnum() else f"({inner})")


def _render(text: str, out: _Html | _Plain) -> str:
    """Render prose with ``.. math::`` blocks (their body as math, the marker dropped)."""
    parts, start = [], 0
    for block in _MATH_BLOCK.finditer(text):
        parts.append(_Parser(text[start : block.start()], out).run(math=False))
        parts.append(out.chars(block.group(1) + "    "))  # indented like its continuation
        parts.append(_Parser(block.group(2), out).run(math=True))
        start = block.end()
    parts.append(_Parser(text[start:], out).run(math=False))
    return "".join(parts)


class _Parser:
    """One left-to-right pass over ``text``; groups and scripts recurse (TeX's own nesting)."""

    def __init__(self, text: str, out: _Html | _Plain) -> None:
        self.text, self.out, self.pos = text, out, 0

    def run(self, *, math: bool) -> str:
        return self._sequence(math=math, in_group=False)

    def _peek(self, offset: int = 0) -> str:
        i = self.pos + offset
        return self.text[i] if 0 <= i < len(self.text) else ""

    def _sequence(self, *, math: bool, in_group: bool) -> str:
        """Render until the end, or the ``}`` closing the current group (consumed)."""
        parts: list[str] = []
        after_macro = False  # a one-character script may follow a macro in prose: \sigma_w
        while self.pos < len(self.text):
            ch = self.text[self.pos]
            macro = False
            if ch == "}" and in_group:
                self.pos += 1
                break
            if ch == "\\":
                rendered, macro = self._macro()
                parts.append(rendered)
            elif ch == "$" and not math and "$" in self.text[self.pos + 1 :]:
                end = self.text.index("$", self.pos + 1)
                parts.append(_Parser(self.text[self.pos + 1 : end], self.out).run(math=True))
                self.pos = end + 1
            elif ch in "_^" and self._is_script(math=math, after_macro=after_macro):
                self.pos += 1
                parts.append(self.out.script(ch, self._argument(math=True)))
                macro = after_macro  # \sigma_w^2: the superscript belongs to the same base
            elif ch == "{" and math:
                self.pos += 1
                parts.append(self._sequence(math=True, in_group=True))
            else:
                self.pos += 1
                parts.append(self.out.chars(self._math_char(ch) if math else ch))
            after_macro = macro
        return "".join(parts)

    @staticmethod
    def _math_char(ch: str) -> str:
        return {"-": "−", "'": "′", "~": "\u00a0"}.get(ch, ch)

    def _is_script(self, *, math: bool, after_macro: bool) -> bool:
        """Whether the ``_``/``^`` at ``pos`` starts a sub/superscript (module docstring)."""
        following = self._peek(1)
        if following == "{" or (math and following not in ("", " ", "\n")):
            return True
        if not (following.isalnum() or following == "*"):
            return False
        after = self._peek(2)
        if after == "_" or after.isalnum():  # fit_power_law, K_c_order_2, t_ch
            return False
        before, base = self._peek(-1), self._peek(-2) if self.pos >= 2 else ""
        single_letter = before.isalpha() and not (base.isalnum() or base == "_")
        return after_macro or single_letter or before in ")]}|"

    def _argument(self, *, math: bool) -> str:
        """A macro's or script's argument: ``{group}``, a macro, or one character."""
        while self._peek() == " ":
            self.pos += 1
        ch = self._peek()
        if ch == "":
            return ""
        if ch == "{":
            self.pos += 1
            return self._sequence(math=math, in_group=True)
        if ch == "\\":
            return self._macro()[0]
        self.pos += 1
        return self.out.chars(self._math_char(ch) if math else ch)

    def _wrapped_argument(self) -> str:
        """The next argument, parenthesized unless it is one number, word or symbol (which may
        carry scripts: ``x_{\\min}``), for ``\\frac`` and ``\\sqrt``."""
        start = self.pos
        rendered = self._argument(math=True)
        raw = self.text[start : self.pos].strip().removeprefix("{").removesuffix("}")
        simple = _SIMPLE_ARGUMENT.fullmatch(_SCRIPT.sub("", raw))
        return rendered if simple else f"({rendered})"

    def _macro(self) -> tuple[str, bool]:
        """Render the macro at ``pos`` (a backslash); also say whether it was a symbol."""
        match = _NAME.match(self.text, self.pos + 1)
        if match is None:  # \, \{ \\ ... or a lone trailing backslash
            ch = self._peek(1)
            self.pos += 2 if ch else 1
            return self.out.chars(_ESCAPED.get(ch, ch)), False
        name = match.group(0)
        self.pos = match.end()
        if name in _SYMBOLS:
            return self.out.chars(_SYMBOLS[name]), True
        if name in _FUNCTIONS:
            return self.out.chars(name), True
        if name in _IGNORED:
            if self._peek() == ".":  # \left. is an invisible delimiter
                self.pos += 1
            return "", False
        if name in _ACCENTS:
            return self._argument(math=True) + self.out.chars(_ACCENTS[name]), True
        if name in _FONTS:
            return self._argument(math=not name.startswith(("text", "emph", "mbox"))), True
        if name == "sqrt":
            return self._sqrt(), True
        if name in ("frac", "dfrac", "tfrac"):
            return self._fraction(), True
        return self.out.chars(name), True

    def _sqrt(self) -> str:
        degree = ""
        if self._peek() == "[" and "]" in self.text[self.pos :]:
            end = self.text.index("]", self.pos)
            degree = _Parser(self.text[self.pos + 1 : end], self.out).run(math=True)
            self.pos = end + 1
        radicand = self._wrapped_argument()
        return self.out.script("^", degree) + "√" + radicand if degree else "√" + radicand

    def _fraction(self) -> str:
        numerator = self._wrapped_argument()
        return f"{numerator}/{self._wrapped_argument()}"
