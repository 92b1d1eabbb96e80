"""Keep the Simplified Chinese catalogue complete.

    .venv/bin/python scripts/catalog.py          extract every msgid the app can show into
                                                 build/messages.pot and merge it into
                                                 council/locale/zh_CN/LC_MESSAGES/messages.po
                                                 (existing translations are kept)
    .venv/bin/python scripts/catalog.py --check  change nothing; exit 1 listing every msgid no
                                                 zh_CN domain translates, every translation
                                                 whose %(name)s placeholders differ from its msgid,
                                                 every msgid (same msgctxt) two domains translate
                                                 differently, and every glossary term
                                                 (catalog.GLOSSARY) rendered otherwise

After translating, run scripts/install.sh to compile the .mo files. The logic lives in
council.core.catalog, which tests/test_i18n.py runs too.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from council.core import catalog  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="report untranslated msgids and exit 1 if any")
    args = parser.parse_args(argv)

    pot = catalog.template()
    if not args.check:
        pot_path = catalog.write_template(pot)
        po_path, total, untranslated = catalog.update_core(pot)
        print(f"{len(pot)} msgids -> {pot_path.relative_to(catalog.ROOT)}")
        print(f"{po_path.relative_to(catalog.ROOT)}: {total} msgids, {untranslated} untranslated")

    untranslated_ids, bad_placeholders = catalog.report(pot)
    if untranslated_ids:
        print(f"{len(untranslated_ids)} msgid(s) have no zh_CN translation in any domain:", file=sys.stderr)
        print(catalog.format_missing(untranslated_ids, pot), file=sys.stderr)
    if bad_placeholders:
        print(f"{len(bad_placeholders)} translation(s) with placeholders unlike their msgid:", file=sys.stderr)
        print("\n".join(f"  {p}" for p in bad_placeholders), file=sys.stderr)
    inconsistent = catalog.conflicts() + catalog.glossary_problems()
    if inconsistent:
        print(f"{len(inconsistent)} inconsistent translation(s) (one word per meaning; msgctxt where a word has two):",
              file=sys.stderr)
        print("\n".join(f"  {p}" for p in inconsistent), file=sys.stderr)
    if args.check:
        if untranslated_ids or bad_placeholders or inconsistent:
            return 1
        print(f"zh_CN catalogue complete: {len(pot)} msgids translated.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
