"""Locales: Simplified Chinese first, English second.

The locale is decided per request and the translation functions are handed to each
template render; nothing global is mutated, so two requests in different languages
can be served at the same time.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from babel import Locale, UnknownLocaleError
from babel.support import NullTranslations, Translations

LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
DEFAULT_LOCALE = "zh_CN"
SUPPORTED = ("zh_CN", "en")
LOCALE_COOKIE = "council_locale"


def domains(locale: str) -> list[str]:
    """Each package may keep its own catalogue (a domain) beside the core `messages`."""
    folder = LOCALE_DIR / locale / "LC_MESSAGES"
    return sorted(p.stem for p in folder.glob("*.po")) if folder.is_dir() else []


@lru_cache(maxsize=None)
def translations(locale: str) -> NullTranslations:
    if locale == "en":
        # msgids are English: nothing to translate.
        return NullTranslations()
    merged = Translations.load(str(LOCALE_DIR), [locale], domain="messages")
    if not isinstance(merged, Translations):
        raise RuntimeError(
            f"no compiled catalogue for {locale} in {LOCALE_DIR}: run the install step (scripts/install.sh)"
        )
    for domain in domains(locale):
        if domain != "messages":
            merged.merge(Translations.load(str(LOCALE_DIR), [locale], domain=domain))
    return merged


def normalise(value: str | None) -> str | None:
    """Map 'zh', 'zh-CN', 'zh_Hans_CN', 'en-US' … onto a supported locale, or None."""
    if not value:
        return None
    value = value.strip().replace("-", "_")
    try:
        parsed = Locale.parse(value)
    except (ValueError, UnknownLocaleError):
        return None
    if parsed.language == "zh":
        return "zh_CN"
    if parsed.language == "en":
        return "en"
    return None


def from_accept_language(header: str | None) -> str | None:
    if not header:
        return None
    weighted = []
    for i, part in enumerate(header.split(",")):
        pieces = part.strip().split(";")
        q = 1.0
        for p in pieces[1:]:
            if p.strip().startswith("q="):
                try:
                    q = float(p.strip()[2:])
                except ValueError:
                    q = 0.0
        weighted.append((-q, i, pieces[0]))
    for _, _, tag in sorted(weighted):
        loc = normalise(tag)
        if loc:
            return loc
    return None


def choose(user_setting: str | None, cookie: str | None, accept_language: str | None) -> str:
    """The user's saved setting wins, then the switcher's cookie, then the browser's header."""
    return normalise(user_setting) or normalise(cookie) or from_accept_language(accept_language) or DEFAULT_LOCALE


class InContext(str):
    """A msgid with its msgctxt, for a word that means two things in the app ("Held": a meeting that
    took place, 已召开; a message kept back, 暂缓发送). Kept as data like any msgid (a label in a
    word list) and translated by `_()` in its context: templates need not know it has one."""

    context: str

    def __new__(cls, context: str, msgid: str) -> "InContext":
        self = super().__new__(cls, msgid)
        self.context = context
        return self

    def __reduce__(self):  # stays InContext on its way to a PDF worker process
        return (InContext, (self.context, str(self)))


def C_(context: str, msgid: str) -> InContext:
    """Marks a msgid with its context for extraction (babel keyword C_) and for `_()`."""
    return InContext(context, msgid)


def translate(trans: NullTranslations, message: str, context: str | None = None) -> str:
    """gettext, or pgettext when the message (or the caller) names a context."""
    context = context or getattr(message, "context", None)
    if context:
        return trans.pgettext(context, str(message))
    return trans.gettext(message)


def gettext(locale: str, message: str, **params) -> str:
    text = translate(translations(locale), message)
    return text % params if params else text
