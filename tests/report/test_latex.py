"""Inline TeX in report text -> readable HTML: symbols, scripts, escaping, well-formedness."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import numpy as np
import pytest

from powertail.report import write_run_report
from powertail.report.latex import looks_like_tex, tex_to_html, tex_to_text
from powertail.runs import Run

LEFTOVER_TEX = re.compile(r"\\[A-Za-z]+|\$|\.\. math::|[_^]\{")
VOID_TAGS = {"br", "img", "meta", "hr", "link"}


class _TagChecker(HTMLParser):
    """Records every tag; fails on a close without its open, leaves the unclosed on a stack."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.tags: set[str] = set()
        self.text = ""

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        if tag not in VOID_TAGS:
            self.stack.append(tag)

    def handle_endtag(self, tag):
        assert self.stack and self.stack.pop() == tag, f"</{tag}> closes nothing"

    def handle_data(self, data):
        self.text += data


def _parsed(fragment: str) -> _TagChecker:
    checker = _TagChecker()
    checker.feed(fragment)
    checker.close()
    assert checker.stack == [], f"unclosed tags {checker.stack} in {fragment!r}"
    return checker


@pytest.mark.parametrize(
    ("tex", "expected"),
    [
        # strings of the studies' report texts (descriptions, table rows)
        (r"exponent \alpha \in \{1.5, 2, 6\}", "exponent α ∈ {1.5, 2, 6}"),
        (r"with x_{\min} = 1", "with x<sub>min</sub> = 1"),
        (
            r"(activation, \sigma_w^2, \sigma_b^2)",
            "(activation, σ<sub>w</sub><sup>2</sup>, σ<sub>b</sub><sup>2</sup>)",
        ),
        (r"every jitter \varepsilon", "every jitter ε"),
        (r"thresholds K_c^{(p)}, p = 2", "thresholds K<sub>c</sub><sup>(p)</sup>, p = 2"),
        (r"prediction p^* = p at \gamma = 0", "prediction p<sup>*</sup> = p at γ = 0"),
        (r"quantiles of \ln|w_2|", "quantiles of ln|w<sub>2</sub>|"),
        (r"from w_0 = (0, 20, 0) to \ln t = 200", "from w<sub>0</sub> = (0, 20, 0) to ln t = 200"),
        (
            "median ln t_{n+1}/ln t_n (ln t_n > 40)",
            "median ln t<sub>n+1</sub>/ln t<sub>n</sub> (ln t<sub>n</sub> &gt; 40)",
        ),
        # the macros of the brief, in $...$ (math: minus sign, primes)
        (r"$\hat\alpha$ and $\Delta\lambda_{\min}$", "α\u0302 and Δλ<sub>min</sub>"),
        (r"$\lambda_{\max} \le 2\sqrt{N}$", "λ<sub>max</sub> ≤ 2√N"),
        (r"$\sqrt{x+1} \pm \log x$", "√(x+1) ± log x"),
        (r"$10^{-3} \times N \approx \infty$", "10<sup>−3</sup> × N ≈ ∞"),
        (r"$a \ge b$, $w'$", "a ≥ b, w′"),
        (r"$\frac{\alpha-1}{x_{\min}}$", "(α−1)/x<sub>min</sub>"),
        (r"$\mathrm{ERG}(\Delta\lambda_{\min})$", "ERG(Δλ<sub>min</sub>)"),
        (r"$\left(\frac{1}{N}\right)^{2}$", "(1/N)<sup>2</sup>"),
        (r"$\foo x$", "foo x"),  # an unknown macro reads as its name
        # escaping: markup in the text never becomes markup
        (r"$a<b$ & \alpha <script>", "a&lt;b &amp; α &lt;script&gt;"),
    ],
)
def test_tex_renders_as_readable_html(tex, expected):
    assert tex_to_html(tex) == expected
    _parsed(expected)


@pytest.mark.parametrize(
    ("prose", "expected"),
    [
        # identifiers keep their underscores, even next to TeX
        (r"fit_power_law finds \alpha", "fit_power_law finds α"),
        (
            r"K_c_order_2, beta_0.5rh, t_ch = 100 T, \Delta",
            "K_c_order_2, beta_0.5rh, t_ch = 100 T, Δ",
        ),
        (r"x_{\min} and log_w2_median", "x<sub>min</sub> and log_w2_median"),
        # outside $...$ a tilde or a hyphen is prose
        (r"b ~ |n.omega|, P1-P8, \gamma", "b ~ |n.omega|, P1-P8, γ"),
    ],
)
def test_identifiers_in_prose_are_left_alone(prose, expected):
    assert tex_to_html(prose) == expected


def test_text_without_tex_is_only_escaped():
    text = "r_h, σ, n_tail <b> & $5"
    assert not looks_like_tex(text)
    assert tex_to_html(text) == "r_h, σ, n_tail &lt;b&gt; &amp; $5"
    assert tex_to_text(text) == text
    path = r"C:\Users\me\runs\x_1"  # backslashes that start no known macro
    assert not looks_like_tex(path)
    assert tex_to_html(path) == path


def test_plain_text_reading_for_titles_and_alt_text():
    assert tex_to_text(r"$\lambda_{\min}$ of $x^{-\alpha}$") == "λ_min of x^(−α)"


def test_a_rest_math_block_is_rendered_as_math():
    text = (
        "a sample is drawn\n\n"
        ".. math::  p(x) = (1 - w)\\,\\frac{\\alpha-1}{x_{\\min}}\n"
        "                 \\mathbf 1_{x \\ge x_{\\min}},\n\n"
        "with x_{\\min} = 1."
    )
    html = tex_to_html(text)
    assert ".. math::" not in html
    assert "p(x) = (1 − w)\u2009(α−1)/x<sub>min</sub>" in html
    assert "1<sub>x ≥ x<sub>min</sub></sub>," in html
    assert html.endswith("with x<sub>min</sub> = 1.")


def test_any_input_gives_well_formed_html_with_sub_and_sup_only():
    rng = np.random.default_rng(0)
    alphabet = [*"ab x1_^{}$\\<>&'\"-", r"\alpha", r"\frac", r"\sqrt", r"\hat", r"\left"]
    for _ in range(2000):
        text = "".join(rng.choice(alphabet, size=rng.integers(1, 25)))
        html = tex_to_html(text)
        checker = _parsed(html)
        assert checker.tags <= {"sub", "sup"}, (text, html)
        assert "<" not in checker.text or "&lt;" in html  # a literal < only as an entity
        tex_to_text(text)  # never raises
    deep = "$" + "x^{" * 5000 + "}" * 5000 + "$"  # deeper than Python's recursion limit
    assert tex_to_html(deep) == deep
    nested = "$" + r"\frac{1}{" * 40 + "x" + "}" * 40 + "$"  # linear time, not 2**40
    assert tex_to_html(nested).count("/") == 40


def test_every_study_description_renders_without_tex_left():
    from powertail.studies import STUDIES

    for study in STUDIES:
        html = tex_to_html(study.description())
        _parsed(html)
        assert LEFTOVER_TEX.search(html) is None, (study.name, LEFTOVER_TEX.search(html))


def test_a_report_page_shows_no_raw_tex(tmp_path):
    import pandas as pd

    with Run.open(tmp_path / "run", command=["powertail", "demo"], config={}, seed=0) as run:
        run.table(
            "laws",
            pd.DataFrame(
                {
                    r"$\hat\alpha$": [2.5, 3.0],
                    "law": [r"$\Delta\lambda_{\min} \le 0$", "median ln t_{n+1}/ln t_n"],
                }
            ),
        )
    page = write_run_report(
        tmp_path / "run",
        title=r"demo: $\alpha$ of $\lambda_{\min}$",
        description=r"Fits \alpha \in [1, \infty) with x_{\min} = 1; $\sigma^2 \pm 1$.",
    ).read_text()
    body = page.split("<body>", 1)[1]
    assert LEFTOVER_TEX.search(page) is None, LEFTOVER_TEX.search(page)
    assert "<title>demo: α of λ_min</title>" in page
    assert "<h1>demo: α of λ<sub>min</sub></h1>" in body
    assert "<th>α\u0302</th>" in body
    assert "Δλ<sub>min</sub> ≤ 0" in body and "t<sub>n+1</sub>" in body
    assert "Fits α ∈ [1, ∞) with x<sub>min</sub> = 1; σ<sup>2</sup> ± 1." in body
    _parsed(body.removesuffix("</html>\n").removesuffix("</body>"))
