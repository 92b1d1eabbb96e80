"""One word per meaning across the catalogues: no msgid (in one msgctxt) translated two ways by two
domains, the glossary's terms rendered as the glossary says, and the words that mean two things in
the app (msgctxt) translated in their context wherever they are shown."""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import write_po

from council.core import catalog, i18n
from council.core.i18n import C_
from council.web.rendering import context_translator, translator


def _po(path: Path, entries: list[tuple[str | None, str, str]]) -> None:
    cat = Catalog(locale="zh_CN", domain=path.stem, fuzzy=False)
    for context, msgid, string in entries:
        cat.add(msgid, string, context=context)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as f:
        write_po(f, cat)


def test_no_msgid_is_translated_two_ways():
    problems = catalog.conflicts()
    assert not problems, "\n".join(problems)


def test_the_glossary_is_followed_in_every_domain():
    problems = catalog.glossary_problems()
    assert not problems, "\n".join(problems)


def test_a_second_translation_is_caught_but_a_second_context_is_not(tmp_path):
    folder = tmp_path / "zh_CN" / "LC_MESSAGES"
    _po(folder / "messages.po", [(None, "Held", "已召开"), (None, "Station", "议事驿站")])
    _po(folder / "notify.po", [("delivery", "Held", "暂缓发送"), (None, "Station", "议事驿站")])
    assert catalog.conflicts(locale_dir=tmp_path) == []
    _po(folder / "meetings.po", [(None, "Held", "已举行")])
    problems = catalog.conflicts(locale_dir=tmp_path)
    assert len(problems) == 1 and "'Held'" in problems[0] and "已召开" in problems[0] and "已举行" in problems[0]


def test_a_glossary_term_rendered_otherwise_is_caught(tmp_path):
    folder = tmp_path / "zh_CN" / "LC_MESSAGES"
    _po(folder / "messages.po", [(None, "The owners' committee signs", "业委会签字"),
                                 (None, "Ask the property manager", "请联系物管"),
                                 (None, "Ask the police station", "请咨询派出所")])
    problems = catalog.glossary_problems(locale_dir=tmp_path)
    assert len(problems) == 1 and "property manager" in problems[0]


def test_check_mode_fails_on_an_inconsistent_translation(tmp_path, monkeypatch, capsys):
    spec = importlib.util.spec_from_file_location("catalog_script", catalog.ROOT / "scripts" / "catalog.py")
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    copy = tmp_path / "locale"
    shutil.copytree(i18n.LOCALE_DIR, copy)
    _po(copy / "zh_CN" / "LC_MESSAGES" / "zz_probe.po", [(None, "Held", "已举行")])
    real = catalog.conflicts
    monkeypatch.setattr(catalog, "conflicts", lambda: real(locale_dir=copy))
    assert script.main(["--check"]) == 1
    assert "'Held' is translated two ways" in capsys.readouterr().err


def test_words_with_two_meanings_are_translated_in_their_context():
    _ = translator("zh_CN")
    pgettext = context_translator("zh_CN")
    assert _("Held") == "已召开" and _(C_("delivery", "Held")) == "暂缓发送" == pgettext("delivery", "Held")
    assert _("Failed") == "未通过" and _(C_("delivery", "Failed")) == "发送失败"
    assert _("Rejected") == "不予受理" and _(C_("ruling", "Rejected")) == "驳回"
    assert _("Done") == "已完成" and _(C_("count", "Done")) == "办结"
    # English: the msgid itself, context or not.
    assert translator("en")(C_("delivery", "Held")) == "Held"
    # The labels that carry a context are extracted with it, so the completeness check sees them.
    keys = set(catalog.collect().entries)
    assert {"delivery\x04Held", "delivery\x04Failed", "ruling\x04Rejected", "count\x04Done"} <= keys


def test_labels_keep_their_context_on_the_way_to_a_pdf_worker():
    import pickle

    label = pickle.loads(pickle.dumps(C_("ruling", "Rejected")))
    assert label == "Rejected" and label.context == "ruling"
    assert i18n.gettext("zh_CN", label) == "驳回"


def test_the_mediation_rulings_and_the_notification_states_use_their_context():
    from council.mediation.vocabulary import RULINGS
    from council.notify.pages import STATUS_LABELS
    from council.notify.timeline import STATUS

    _ = translator("zh_CN")
    assert _(dict(RULINGS)["rejected"]) == "驳回"
    assert _(STATUS_LABELS["held"]) == _(STATUS["held"]) == "暂缓发送"
    assert _(STATUS_LABELS["dead"]) == _(STATUS["dead"]) == "发送失败"
