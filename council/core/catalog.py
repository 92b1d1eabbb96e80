"""Every message the UI can show, gathered into one catalogue template, and the checks
that each has a Simplified Chinese translation.

Two kinds of msgid exist. Most are wrapped where they are written: `_()` / `gettext()` in
templates and Python, and the first argument of the errors a use case raises (Invalid,
Forbidden, … and the ValueError that field parsers turn into form errors). The rest are
data that templates translate later with `_(value)`: register names, field labels, help
texts and choices, the menu, error titles, weekdays and role names. Babel's extractors
find the first kind; `data_messages()` walks the declarations for the second.

Each .po file under council/locale/zh_CN/LC_MESSAGES is a domain. The core domain
(messages.po) is written by `update_core()`; other domains (imports.po, admin.po, …) are
kept by hand by their owners, and a msgid translated there counts as translated.
scripts/catalog.py is the command-line face of this module; tests/test_i18n.py runs the
same checks in-process.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
import sys
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Iterable

from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_file
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po, write_po
from babel.util import pathmatch

from council.core.i18n import DEFAULT_LOCALE, LOCALE_DIR

ROOT = LOCALE_DIR.parent.parent  # the repository: babel.cfg, council/, templates/
BABEL_CFG = ROOT / "babel.cfg"
CORE_DOMAIN = "messages"
POT_PATH = ROOT / "build" / f"{CORE_DOMAIN}.pot"  # generated, not committed (build/ is ignored)

# Errors whose first argument is a msgid the user reads (translated by council.web.errors,
# or, for ValueError, turned into a field error by council.core.fields / Invalid(str(e))).
# Any other exception class in council whose first parameter is `message` is added too
# (see _message_exceptions), so a new module's own error class needs no change here.
ERROR_KEYWORDS = ("DomainError", "Invalid", "Forbidden", "NotFound", "Conflict", "TooManyRequests", "ValueError")
# Where those exceptions speak to operators at startup (bad configuration), not to users
# of the web UI: their text stays English and is not extracted.
NOT_UI = ("council/db.py", "council/settings.py", "council/cli.py", "council/migrations/")
# Only these folders hold anything babel.cfg maps; skipping the rest keeps extraction fast.
SOURCE_DIRS = ("council", "templates")
COMMENT_TAGS = ("Translators:",)

HEADER_COMMENT = """\
# Council: Simplified Chinese, the core domain.
# msgids are English. Run `.venv/bin/python scripts/catalog.py` to merge new ones in,
# `--check` to list what is untranslated, then scripts/install.sh to compile.
# Use the words of DOMAIN.md §9 (议事驿站, 业主, 专有部分面积, 物业公司, 业委会, 居委会 …)."""

# A word that means two things in the app carries a msgctxt (council.core.i18n.C_ in Python,
# pgettext in templates). Entries are keyed as the compiled catalogue keys them: the msgid alone,
# or "context\x04msgid" (what gettext's pgettext looks up), so every dict of translations here
# stays str -> str.
CONTEXT_SEP = "\x04"
CONTEXT_KEYWORDS = {"C_": ((1, "c"), 2), "pgettext": ((1, "c"), 2)}


def key_of(msgid: str, context: str | None = None) -> str:
    return f"{context}{CONTEXT_SEP}{msgid}" if context else str(msgid)


def split_key(key: str) -> tuple[str | None, str]:
    """(context or None, msgid)."""
    context, sep, msgid = key.partition(CONTEXT_SEP)
    return (context, msgid) if sep else (None, key)


PLACEHOLDER = re.compile(r"%(?:\([^)]*\))?[-#0 +]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa%]")


@dataclass
class Entry:
    msgid: str
    context: str | None = None
    locations: list[tuple[str, int | None]] = field(default_factory=list)
    comments: list[str] = field(default_factory=list)


class Collector:
    """msgids in the order they were first seen, each with every place it comes from."""

    def __init__(self) -> None:
        self.entries: dict[str, Entry] = {}

    def add(self, msgid: str, location: tuple[str, int | None], comment: str = "", context: str | None = None) -> None:
        if not isinstance(msgid, str) or not msgid.strip():
            return
        context = context or getattr(msgid, "context", None)  # an i18n.InContext label kept as data
        entry = self.entries.setdefault(key_of(msgid, context), Entry(str(msgid), context))
        if location not in entry.locations:
            entry.locations.append(location)
        if comment and comment not in entry.comments:
            entry.comments.append(comment)


# ---------------------------------------------------------------- extraction

def source_messages(collector: Collector, root: Path = ROOT) -> None:
    """What `pybabel extract -F babel.cfg -k Invalid -k Forbidden …` finds, file by file."""
    with open(BABEL_CFG, encoding="utf-8") as f:
        method_map, options_map = parse_mapping_cfg(f, str(BABEL_CFG))
    plain = {**DEFAULT_KEYWORDS, **CONTEXT_KEYWORDS}
    with_errors = {**plain, **{k: None for k in error_keywords()}}  # None: the first argument
    files = sorted(
        rel.as_posix()
        for d in SOURCE_DIRS
        for rel in (p.relative_to(root) for p in (root / d).rglob("*") if p.is_file())
        if not any(part.startswith(".") or part == "__pycache__" for part in rel.parts)
    )
    for rel in files:
        for pattern, method in method_map:
            if not pathmatch(pattern, rel):
                continue
            if method != "ignore":
                keywords = plain if rel.startswith(NOT_UI) else with_errors
                for lineno, message, comments, ctx in extract_from_file(
                    method, str(root / rel), keywords=keywords, comment_tags=COMMENT_TAGS,
                    options=options_map.get(pattern, {}), strip_comment_tags=True,
                ):
                    msgid = message if isinstance(message, str) else message[0]  # no plural forms in use
                    collector.add(msgid, (rel, lineno), context=ctx)
                    for c in comments:
                        collector.add(msgid, (rel, lineno), c, context=ctx)
            break


def _message_exceptions() -> list[type[BaseException]]:
    """Exceptions declared in council whose first parameter is `message`: by convention a msgid
    (DomainError and its kin, a state machine's MoveRefused …)."""
    _import_all()
    found: list[type[BaseException]] = []
    seen: set[type] = set()
    todo: list[type] = [BaseException]
    while todo:
        for sub in todo.pop().__subclasses__():
            if sub in seen:
                continue
            seen.add(sub)
            todo.append(sub)
            if sub.__module__.startswith("council."):
                params = list(inspect.signature(sub.__init__).parameters)
                if params[1:2] == ["message"]:
                    found.append(sub)
    return found


def error_keywords() -> list[str]:
    return sorted(set(ERROR_KEYWORDS) | {cls.__name__ for cls in _message_exceptions()})


@lru_cache(maxsize=None)
def _import_all() -> None:
    """Import every council module, so registers and exceptions declared anywhere are known."""
    import council
    from council import app

    app._load_registers()
    for info in pkgutil.walk_packages(council.__path__, "council."):
        importlib.import_module(info.name)


def _where(obj_module: str, text: str, *fallbacks: str) -> tuple[str, int | None]:
    """The module's file and the first line quoting `text`, where a translator can look;
    when the module only refers to it (a default, an imported tuple), the first fallback
    module that quotes it."""
    first = _line_in(obj_module, text)
    if first[1] is None:
        for name in fallbacks:
            found = _line_in(name, text)
            if found[1] is not None:
                return found
    return first


def _line_in(obj_module: str, text: str) -> tuple[str, int | None]:
    path = Path(getattr(sys.modules.get(obj_module), "__file__", "") or "")
    try:
        rel = path.resolve().relative_to(ROOT.resolve()).as_posix()
    except ValueError:
        return (obj_module, None)
    lines = _source_lines(str(path))
    for quoted in (f'"{text}"', f"'{text}'"):
        for n, line in enumerate(lines, 1):
            if quoted in line:
                return (rel, n)
    return (rel, None)


@lru_cache(maxsize=None)
def _source_lines(path: str) -> tuple[str, ...]:
    try:
        return tuple(Path(path).read_text(encoding="utf-8").splitlines())
    except OSError:
        return ()


def _module_of(obj, default: str) -> str:
    for name, module in list(sys.modules.items()):
        if name.startswith("council.") and module is not None and any(v is obj for v in vars(module).values()):
            return name
    return default


def data_messages(collector: Collector) -> None:
    """msgids kept as data and translated when shown: `_(reg.plural)`, `_(f.label)`, `_(user.role)` …"""
    _import_all()
    from council.accounts.permissions import Role
    from council.core.fields import WEEKDAYS
    from council.core.registry import REGISTERS
    from council.web.errors import TITLES
    from council.web.rendering import NAV

    for reg in REGISTERS.values():
        mod = _module_of(reg, "council.core.registry")
        what = f"register {reg.name}"
        collector.add(reg.singular, _where(mod, reg.singular), f"{what}: one record")
        collector.add(reg.plural, _where(mod, reg.plural), f"{what}: list title")
        collector.add(reg.nav_group, _where(mod, reg.nav_group), "menu group")
        collector.add(reg.unique_message, _where(mod, reg.unique_message, "council.core.registry"),
                      f"{what}: duplicate refused")
        for f in reg.fields:
            collector.add(f.label, _where(mod, f.label), f"{what}: field label")
            collector.add(f.help, _where(mod, f.help), f"{what}: help under the {f.name} field")
            for _value, label in f.choices:
                collector.add(label, _where(mod, label, "council.core.fields"), f"{what}: a choice for {f.name}")
    for label, _path, _key in NAV:
        collector.add(label, _where("council.web.rendering", label), "menu entry")
    for title in TITLES.values():
        collector.add(title, _where("council.web.errors", title), "error page title")
    for _n, day in WEEKDAYS:
        collector.add(day, _where("council.core.fields", day), "weekday")
    for cls in _message_exceptions():
        default = inspect.signature(cls.__init__).parameters["message"].default
        if isinstance(default, str) and "__init__" in vars(cls):
            collector.add(default, _where(cls.__module__, default), f"{cls.__name__} without a message")
    for role in Role:
        collector.add(role.value, _where("council.accounts.permissions", role.value),
                      "role name, shown to users (identifier used as msgid)")
    _vocabulary_messages(collector)
    _guard_messages(collector)


def _council_modules() -> list:
    return [m for name, m in sorted(sys.modules.items()) if name.startswith("council.") and m is not None]


def _vocabulary_messages(collector: Collector) -> None:
    """A `vocabulary` module (council/cases/vocabulary.py …) holds word lists as module-level
    tuples of (code, msgid, …): every second element is shown translated."""
    for module in _council_modules():
        if not module.__name__.endswith(".vocabulary"):
            continue
        for name, value in vars(module).items():
            if name.startswith("_") or not isinstance(value, tuple):
                continue
            for item in value:
                if isinstance(item, tuple) and len(item) >= 2 and isinstance(item[1], str):
                    collector.add(item[1], _where(module.__name__, item[1]), f"{name.lower()} (a word list)")


def _strings_in(code) -> list[str]:
    out = []
    for const in code.co_consts:
        if isinstance(const, str):
            out.append(const)
        elif hasattr(const, "co_consts"):
            out.extend(_strings_in(const))
    return out


def _guard_messages(collector: Collector) -> None:
    """A state machine's guards return the msgid of why a move is refused (raised as
    MoveRefused(why)); those strings sit in the guards' code, not in a call babel can see."""
    try:
        from council.cases.statemachine import Machine
    except ImportError:
        return
    for module in _council_modules():
        for value in list(vars(module).values()):
            if not isinstance(value, Machine):
                continue
            guards = [m.guard for m in value.moves.values() if m.guard] + list(value.entry_guards.values())
            for guard in guards:
                doc = guard.__doc__
                for text in _strings_in(guard.__code__):
                    # Sentences only: state names and codes compared inside a guard are not shown.
                    if text != doc and " " in text.strip() and any(c.isalpha() for c in text):
                        collector.add(text, _where(guard.__module__, text), "why a step cannot be taken")


def collect() -> Collector:
    collector = Collector()
    source_messages(collector)
    data_messages(collector)
    return collector


def template(collector: Collector | None = None) -> Catalog:
    """The POT: every msgid the app can show."""
    collector = collector or collect()
    pot = Catalog(project="Council", version=_version(), domain=CORE_DOMAIN, fuzzy=False)
    for entry in collector.entries.values():
        pot.add(entry.msgid, locations=entry.locations, auto_comments=entry.comments, context=entry.context)
    return pot


# ---------------------------------------------------------------- the domains

def domain_files(locale: str = DEFAULT_LOCALE, locale_dir: Path = LOCALE_DIR) -> list[Path]:
    return sorted((locale_dir / locale / "LC_MESSAGES").glob("*.po"))


def read_catalog(path: Path) -> Catalog:
    with open(path, "rb") as f:
        return read_po(f, domain=path.stem)


def translated(cat: Catalog) -> dict[str, str]:
    """msgid (key_of: with its context) → translation, as compiled: fuzzy and empty entries do not
    reach the .mo."""
    return {key_of(m.id, m.context): m.string for m in cat
            if m.id and isinstance(m.id, str) and m.string and not m.fuzzy}


def translated_elsewhere(
    locale: str = DEFAULT_LOCALE, exclude: str = CORE_DOMAIN, locale_dir: Path = LOCALE_DIR,
) -> dict[str, str]:
    out: dict[str, str] = {}
    for path in domain_files(locale, locale_dir):
        if path.stem != exclude:
            out.update(translated(read_catalog(path)))
    return out


def missing(pot: Catalog, locale: str = DEFAULT_LOCALE, locale_dir: Path = LOCALE_DIR) -> list[str]:
    """msgids of the template that no domain translates."""
    done: set[str] = set()
    for path in domain_files(locale, locale_dir):
        done.update(translated(read_catalog(path)))
    return [key_of(m.id, m.context) for m in pot if m.id and key_of(m.id, m.context) not in done]


def placeholders(text: str) -> list[str]:
    return sorted(PLACEHOLDER.findall(text))


def placeholder_problems(locale: str = DEFAULT_LOCALE, locale_dir: Path = LOCALE_DIR) -> list[str]:
    """Translations whose %(name)s placeholders differ from the msgid's: formatting would fail."""
    problems = []
    for path in domain_files(locale, locale_dir):
        for msgid, string in translated(read_catalog(path)).items():
            if placeholders(msgid) != placeholders(string):
                problems.append(f"{path.name}: {msgid!r} -> {string!r}")
    return problems


def update_core(pot: Catalog, locale: str = DEFAULT_LOCALE, locale_dir: Path = LOCALE_DIR) -> tuple[Path, int, int]:
    """Merge the template into messages.po like `pybabel update`, keeping every translation.

    Differences from pybabel: no fuzzy guesses (a guessed translation is worse than none);
    a msgid that another domain already translates is left to that domain; a translation
    that went obsolete comes back if its msgid reappears (another engineer's template may
    be mid-edit when this runs). Returns (path, messages, untranslated).
    """
    path = locale_dir / locale / "LC_MESSAGES" / f"{CORE_DOMAIN}.po"
    if path.exists():
        po = read_catalog(path)
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
        po = Catalog(locale=locale, domain=CORE_DOMAIN, project="Council", fuzzy=False)
    elsewhere = translated_elsewhere(locale, locale_dir=locale_dir)
    mine = translated(po)
    remembered = {key_of(m.id, m.context): m.string for m in po.obsolete.values() if m.string}

    own = Catalog(project="Council", domain=CORE_DOMAIN, fuzzy=False)
    for m in pot:
        k = key_of(m.id, m.context) if m.id else ""
        if m.id and (k not in elsewhere or k in mine):
            own.add(m.id, locations=m.locations, auto_comments=m.auto_comments, context=m.context)
    # No creation-date bump: an unchanged catalogue stays byte-identical.
    po.update(own, no_fuzzy_matching=True, update_header_comment=False, update_creation_date=False)
    for m in po:
        if m.id and not m.string and key_of(m.id, m.context) in remembered:
            m.string = remembered[key_of(m.id, m.context)]
    # Obsolete entries are kept (as #~) only when they carry a translation worth keeping
    # and their msgid is not back in use.
    for key in [k for k, m in po.obsolete.items() if not m.string or po.get(m.id, context=m.context) is not None]:
        del po.obsolete[key]
    po.fuzzy = False
    po.project, po.version = "Council", _version()
    po.header_comment = HEADER_COMMENT
    with open(path, "wb") as f:
        write_po(f, po, width=100)
    untranslated = sum(1 for m in po if m.id and not m.string)
    return path, sum(1 for m in po if m.id), untranslated


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("council")
    except PackageNotFoundError:
        return "dev"


def write_template(pot: Catalog, path: Path = POT_PATH) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as f:
        write_po(f, pot, width=100)
    return path


# ---------------------------------------------------------------- one word per meaning

# The glossary (DOMAIN.md §9, and the words the app settled on): a msgid using the English term
# (a regular expression, case-insensitive) is translated with one of the Chinese renderings. A
# term that legitimately means something else in some msgids has that other sense excluded in
# its pattern (a police station is no 议事驿站; co-owners are 共有人).
GLOSSARY: tuple[tuple[str, tuple[str, ...]], ...] = (
    (r"(?<!police )\bstations?\b", ("驿站",)),
    (r"\breception days?\b", ("接待日",)),
    (r"(?<!co-)\bowners?\b(?!'? committee)", ("业主",)),
    (r"\bowners'? committee", ("业委会", "业主委员会")),
    (r"\bresidents'? committee", ("居委会", "居民委员会")),
    (r"\bproperty (manager|company|management)", ("物业",)),
    (r"\bmaintenance fund", ("维修资金",)),
    (r"\bpublic notice", ("公示",)),
    (r"\bjudicial confirmation", ("司法确认",)),
    (r"\bmediation agreement", ("调解协议",)),
    (r"\bminutes\b", ("纪要", "分钟")),  # a meeting's minutes, or a duration in minutes
    (r"\bchase[sd]?\b", ("督单", "督办", "催办")),
    (r"\bescalat", ("提级", "上一级")),
    (r"\bdispatch", ("派",)),  # 派单 / 派给 / 分派
    (r"\baccept(ed)? (the |this )?case\b", ("签收",)),  # a department taking a dispatched case
    (r"\bdisputes?\b", ("纠纷", "调解", "当事人")),
    (r"\bvot(e|es|ed|ing)\b", ("表决", "投票", "票")),
    (r"\bgrid workers?\b", ("网格员",)),
    (r"\bliaisons?\b", ("联络员",)),
    (r"\bsecretary\b", ("书记",)),
    (r"\bmediators?\b", ("调解员",)),
    (r"\bbasically satisfied\b", ("基本满意",)),
    (r"\bunsatisfied\b", ("不满意",)),
)


def _all_translations(locale: str, locale_dir: Path) -> dict[str, dict[str, str]]:
    """key_of(msgid, context) → {domain: translation}."""
    out: dict[str, dict[str, str]] = {}
    for path in domain_files(locale, locale_dir):
        for key, string in translated(read_catalog(path)).items():
            out.setdefault(key, {})[path.stem] = string
    return out


def conflicts(locale: str = DEFAULT_LOCALE, locale_dir: Path = LOCALE_DIR) -> list[str]:
    """A msgid (in one context) translated two ways by two domains: only one can reach the screen
    (the domains are merged into one catalogue), so the other page shows a word nobody chose. A
    word with two meanings gets a msgctxt instead (council.core.i18n.C_, pgettext)."""
    problems = []
    for key, by_domain in sorted(_all_translations(locale, locale_dir).items()):
        if len(set(by_domain.values())) > 1:
            context, msgid = split_key(key)
            ways = ", ".join(f"{d}.po: {s!r}" for d, s in sorted(by_domain.items()))
            problems.append(f"{msgid!r}{f' (msgctxt {context!r})' if context else ''} is translated two ways: {ways}")
    return problems


def glossary_problems(locale: str = DEFAULT_LOCALE, locale_dir: Path = LOCALE_DIR,
                      glossary: tuple[tuple[str, tuple[str, ...]], ...] = GLOSSARY) -> list[str]:
    """Translations that render a glossary term other than the glossary does."""
    patterns = [(re.compile(p, re.I), words) for p, words in glossary]
    problems = []
    for key, by_domain in sorted(_all_translations(locale, locale_dir).items()):
        _context, msgid = split_key(key)
        words_only = PLACEHOLDER.sub("", msgid)  # %(station)s is a name filled in, not the word
        for pattern, words in patterns:
            if not pattern.search(words_only):
                continue
            for domain, string in sorted(by_domain.items()):
                if not any(w in string for w in words):
                    problems.append(f"{domain}.po: {msgid!r} -> {string!r}: {pattern.pattern} is {'/'.join(words)}")
    return problems


def report(pot: Catalog, locale: str = DEFAULT_LOCALE, locale_dir: Path = LOCALE_DIR) -> tuple[list[str], list[str]]:
    """(untranslated msgids, placeholder mismatches): both empty means the catalogue is complete."""
    return missing(pot, locale, locale_dir), placeholder_problems(locale, locale_dir)


def format_missing(ids: Iterable[str], pot: Catalog) -> str:
    lines = []
    for key in ids:
        context, msgid = split_key(key)
        entry = pot.get(msgid, context=context)
        where = ", ".join(f"{f}:{n}" if n else f for f, n in (entry.locations[:3] if entry else []))
        lines.append(f"  {msgid!r}{f' (msgctxt {context!r})' if context else ''}  ({where})")
    return "\n".join(lines)
