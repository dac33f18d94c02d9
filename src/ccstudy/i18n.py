"""Report languages: gettext message catalogues and per-locale number, date and p-value formats.

Every fixed string of the reports comes from one catalogue per language,
``src/ccstudy/locales/<lang>/LC_MESSAGES/ccstudy.po`` (msgids are the English
text).  The ``.po`` files are the only source: they are compiled with Babel
into an in-memory ``.mo`` the first time a language is used in a process, so a
fresh clone installed with ``pip install -e .`` needs no build step and a
stale compiled file can never be read.

Locale conventions are catalogue entries too, never ``if lang ==`` branches:
the percentage-point pattern, the confidence-interval pattern, the p-value
style and the month pattern are translated messages in the ``format``
context, and numbers are formatted by Babel for the catalogue's locale.

Examples
--------
>>> zh = get("zh")
>>> zh("Is the questionnaire reliable?")
'问卷是否可靠？'
>>> zh.p_value(0.0342), get("en").p_value(0.0342)
('P = 0.034', 'p = .034')
"""

from __future__ import annotations

import functools
import gettext
import io
import math
from pathlib import Path
from typing import Any, Iterable

LOCALE_DIR = Path(__file__).resolve().parent / "locales"
DOMAIN = "ccstudy"
LANGUAGES = ("en", "zh")
DEFAULT = "en"


class LanguageError(ValueError):
    """A report language that has no catalogue."""


def catalogue_path(lang: str) -> Path:
    return LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


def check_language(lang: str) -> str:
    if lang not in LANGUAGES or not catalogue_path(lang).is_file():
        raise LanguageError(f"no report language {lang!r}: available {', '.join(LANGUAGES)} "
                            f"(catalogues under {LOCALE_DIR})")
    return lang


@functools.lru_cache(maxsize=None)
def _compiled(lang: str) -> tuple[gettext.GNUTranslations, str]:
    """Compile the language's ``.po`` with Babel into an in-memory ``.mo``; return it and its locale."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    path = catalogue_path(check_language(lang))
    with path.open("rb") as fh:
        cat = read_po(fh, locale=None, domain=DOMAIN)
    buf = io.BytesIO()
    write_mo(buf, cat, use_fuzzy=False)
    buf.seek(0)
    locale = str(cat.locale) if cat.locale else lang
    return gettext.GNUTranslations(buf), locale


def _is_missing(x: Any) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x))


class Language:
    """Messages and formats of one report language.

    Call the object with an English msgid (and ``str.format`` keywords) to get
    the translated text; the format methods follow the catalogue's locale.
    """

    def __init__(self, code: str):
        self.code = check_language(code)
        self._t, self.locale = _compiled(code)
        self.html_lang = self.pgettext("meta", "html-lang")
        self.typst_lang = self.pgettext("meta", "typst-lang")
        self.typst_region = self.pgettext("meta", "typst-region")
        self._dash = self.pgettext("format", "–")
        self._drop_zero = self.pgettext("style", "drop the leading zero of p-values") == "yes"

    def __repr__(self) -> str:
        return f"Language({self.code!r})"

    # ------------------------------------------------------------------ messages
    def __call__(self, msgid: str, /, **kw: Any) -> str:
        text = self._t.gettext(msgid)
        return text.format(**kw) if kw else text

    def n(self, singular: str, plural: str, count: int, /, **kw: Any) -> str:
        text = self._t.ngettext(singular, plural, count)
        return text.format(count=count, **kw)

    def pgettext(self, context: str, msgid: str, /, **kw: Any) -> str:
        text = self._t.pgettext(context, msgid)
        return text.format(**kw) if kw else text

    # ------------------------------------------------------------------ formats
    def num(self, x: float | None, digits: int = 2) -> str:
        """A number rounded to *digits* decimals in the locale's notation ('–' when missing)."""
        from babel.numbers import format_decimal

        if _is_missing(x):
            return self._dash
        pattern = "0" + ("." + "0" * digits if digits > 0 else "")
        return format_decimal(round(float(x), digits), format=pattern, locale=self.locale,
                              decimal_quantization=True, group_separator=False)

    def int(self, x: int | None) -> str:
        from babel.numbers import format_decimal

        return self._dash if _is_missing(x) else format_decimal(int(x), format="#,##0", locale=self.locale)

    def pct(self, x: float | None, digits: int = 2) -> str:
        """A fraction as a percentage: 0.8627 → '86.27%'."""
        if _is_missing(x):
            return self._dash
        return self.pgettext("format", "{value}%", value=self.num(x * 100, digits))

    def pp(self, x: float | None, digits: int = 2) -> str:
        """Percentage points with sign: 0.56 → '+0.56 pp' (en), '+0.56个百分点' (zh)."""
        if _is_missing(x):
            return self._dash
        sign = "+" if x >= 0 else "-"
        return self.pgettext("format", "{value} pp", value=sign + self.num(abs(x), digits))

    def p_value(self, p: float | None, *, bare: bool = False) -> str:
        """A p-value in the locale's style: 'p < .001' / 'p = .034' (APA), 'P < 0.001' / 'P = 0.034' (zh).

        With *bare*, only the value ('< .001', '.034') for table cells.
        """
        if _is_missing(p):
            value = self._dash
            return value if bare else self.pgettext("format", "p = {p}", p=value)
        if p < 0.001:
            small = self._p_digits(0.001)
            return ("< " + small) if bare else self.pgettext("format", "p < {p}", p=small)
        value = self._p_digits(p)
        return value if bare else self.pgettext("format", "p = {p}", p=value)

    def _p_digits(self, p: float) -> str:
        s = self.num(p, 3)
        return s[1:] if self._drop_zero and s.startswith("0") else s

    def ci(self, lo: float | None, hi: float | None, digits: int = 2, level: float = 0.95) -> str:
        return self.pgettext("format", "{level}% CI {low} to {high}", level=int(round(level * 100)),
                             low=self.num(lo, digits), high=self.num(hi, digits))

    def month(self, month: str | None) -> str:
        """A ``YYYY-MM`` month: 'Mar 2017' (en), '2017年3月' (zh)."""
        from babel.dates import format_date
        import datetime as _dt

        if not month:
            return self._dash
        y, m = str(month)[:7].split("-")
        return format_date(_dt.date(int(y), int(m), 1), format=self.pgettext("format", "MMM y"), locale=self.locale)

    def date(self, day) -> str:
        from babel.dates import format_date
        import datetime as _dt

        if not day:
            return self._dash
        if isinstance(day, str):
            day = _dt.date.fromisoformat(day[:10])
        return format_date(day, format=self.pgettext("format", "d MMM y"), locale=self.locale)

    def join(self, items: Iterable[str]) -> str:
        """A list in running text: 'a, b, c' (en), 'a、b、c' (zh)."""
        items = [str(i) for i in items]
        return self.pgettext("format", ", ").join(items) if items else self._dash

    def sentence_case(self, label: str) -> str:
        """A label inside a sentence: lower-cased where the locale does so (English), else unchanged."""
        return label.lower() if self.pgettext("style", "lower-case labels inside sentences") == "yes" else label


@functools.lru_cache(maxsize=None)
def get(lang: str = DEFAULT) -> Language:
    """The :class:`Language` for *lang* (``en`` or ``zh``); cached per process."""
    return Language(lang)


def study_language(params) -> str:
    """The study's report language, ``reports.language`` (default ``en``)."""
    value = params.get("reports.language", DEFAULT) if params is not None else DEFAULT
    return check_language(str(value or DEFAULT))


def study_languages(params) -> list[str]:
    """The languages a plain ``ccstudy render`` writes: the study's own."""
    return [study_language(params)]
