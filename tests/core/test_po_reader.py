"""The fast .po reader (startup without babel) reads every catalog exactly as babel does, and
hands babel whatever it does not read faithfully."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.i18n import _Catalog, _load_po, _load_po_with_babel, _read_po, _Unusual

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = sorted([*ROOT.glob("bot/locales/*/LC_MESSAGES/*.po"),
                  *ROOT.glob("plugins/*/locales/*/LC_MESSAGES/*.po"),
                  *ROOT.glob("tests/sample_plugin/*/locales/*/LC_MESSAGES/*.po")])


def _both(path: Path) -> tuple[_Catalog, _Catalog]:
    fast = _load_po(path, "fr", path.stem)
    slow = _load_po_with_babel(path.read_bytes(), path, "fr", path.stem)
    return fast, slow


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: str(p.relative_to(ROOT)))
def test_shipped_catalogs_read_as_babel_reads_them(path: Path) -> None:
    _read_po(path.read_bytes())  # the fast reader takes every shipped catalog itself
    fast, slow = _both(path)
    assert fast.messages == slow.messages
    assert fast.num_plurals == slow.num_plurals
    counts = range(0, 2_000_003, 9_999)
    assert [fast.plural(n) for n in counts] == [slow.plural(n) for n in counts]


HEADER = ('msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n'
          '"Plural-Forms: nplurals=2; plural=(n > 1);\\n"\n\n')


@pytest.mark.parametrize("body", [
    'msgid "a"\nmsgstr "b"\n',
    '#, fuzzy\nmsgid "a"\nmsgstr "b"\n\nmsgid "c"\nmsgstr ""\n"d\\n"\n"e \\"q\\""\n',
    'msgid "{n} idea"\nmsgid_plural "{n} ideas"\nmsgstr[0] "{n} idée"\nmsgstr[1] "{n} idées"\n',
    '# comment\nmsgid "tab\\there"\nmsgstr "tab\\tici"\n',
])
def test_edited_catalogs_read_as_babel_reads_them(tmp_path: Path, body: str) -> None:
    path = tmp_path / "x.po"
    path.write_text(HEADER + body, encoding="utf-8")
    fast, slow = _both(path)
    assert fast.messages == slow.messages


@pytest.mark.parametrize("text", [
    'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\nmsgid "a"\nmsgstr "b"\n',
    HEADER + '#~ msgid "old"\n#~ msgstr "vieux"\n',
    HEADER.replace("UTF-8", "ISO-8859-1"),
])
def test_what_it_does_not_read_faithfully_goes_to_babel(tmp_path: Path, text: str) -> None:
    with pytest.raises(_Unusual):
        _read_po(text.encode("utf-8"))
    path = tmp_path / "x.po"
    path.write_text(text, encoding="utf-8")
    fast, slow = _both(path)
    assert fast.messages == slow.messages
