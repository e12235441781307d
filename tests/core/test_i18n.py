"""I18n: French lookups, English fallback, plural rules, nested Text and formatting that never raises."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from bot.i18n import (
    CORE_DOMAIN,
    CORE_LOCALES_DIR,
    I18n,
    Text,
    plural_translatable,
    translatable,
)

PO_HEADER = """\
msgid ""
msgstr ""
"Content-Type: text/plain; charset=UTF-8\\n"
"Language: {lang}\\n"
"Plural-Forms: {plural}\\n"

"""

FR_ENTRIES = """\
msgid "Hello {name}!"
msgstr "Bonjour {name} !"

msgid "Balance: {amount}"
msgstr "Solde : {amount}"

msgid "{n} token"
msgid_plural "{n} tokens"
msgstr[0] "{n} jeton"
msgstr[1] "{n} jetons"

msgid "You received {what}."
msgstr "Vous avez reçu {what}."

msgid "Broken {amount}"
msgstr "Cassé {montant}"

msgid "Attr {amount}"
msgstr "Attr {amount.__class__}"

#, fuzzy
msgid "Fuzzy message"
msgstr "Message flou"

msgid "Untranslated"
msgstr ""

msgctxt "menu"
msgid "Open"
msgstr "Ouvrir (menu)"

msgid "{n} vote"
msgid_plural "{n} votes"
msgstr[0] "{n} vote"
msgstr[1] ""
"""

_ = translatable("test")
_n = plural_translatable("test")


def write_po(root: Path, lang: str, domain: str, body: str, plural: str) -> Path:
    target = root / lang / "LC_MESSAGES" / f"{domain}.po"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(PO_HEADER.format(lang=lang, plural=plural) + body, encoding="utf-8")
    return target


@pytest.fixture
def locales_dir(tmp_path: Path) -> Path:
    root = tmp_path / "locales"
    write_po(root, "fr", "test", FR_ENTRIES, "nplurals=2; plural=(n > 1);")
    return root


@pytest.fixture
def i18n(locales_dir: Path) -> I18n:
    i18n = I18n()
    assert i18n.add_domain("test", locales_dir) == {"fr"}
    return i18n


def test_text_is_lazy_and_str_is_english() -> None:
    text = _("Hello {name}!", name="Ana")
    assert text == Text("Hello {name}!", "test", {"name": "Ana"})
    assert str(text) == "Hello Ana!"
    assert hash(text) == hash(Text("Hello {name}!", "test", {"name": "someone else"}))


def test_french_lookup(i18n: I18n) -> None:
    assert i18n.translate(_("Hello {name}!", name="Ana"), "fr") == "Bonjour Ana !"
    assert i18n.translate(_("Hello {name}!", name="Ana"), "en") == "Hello Ana!"


def test_fallback_to_english_for_missing_and_empty(i18n: I18n) -> None:
    assert i18n.translate(_("Not in catalog {x}", x=1), "fr") == "Not in catalog 1"
    assert i18n.translate(_("Untranslated"), "fr") == "Untranslated"


def test_unknown_domain_and_locale_fall_back(i18n: I18n) -> None:
    assert i18n.translate(Text("Hello {name}!", "nope", {"name": "Ana"}), "fr") == "Hello Ana!"
    assert i18n.translate(_("Hello {name}!", name="Ana"), "de") == "Hello Ana!"
    assert i18n.translate(_("Hello {name}!", name="Ana"), None) == "Hello Ana!"


def test_plain_strings_pass_through(i18n: I18n) -> None:
    assert i18n.translate("already {rendered}", "fr") == "already {rendered}"


@pytest.mark.parametrize(
    ("n", "english", "french"),
    [(0, "0 tokens", "0 jeton"), (1, "1 token", "1 jeton"), (2, "2 tokens", "2 jetons")],
)
def test_plurals(i18n: I18n, n: int, english: str, french: str) -> None:
    text = _n("{n} token", "{n} tokens", n)
    assert str(text) == english
    assert i18n.translate(text, "en") == english
    assert i18n.translate(text, "fr") == french


def test_plural_with_empty_form_falls_back_to_english(i18n: I18n) -> None:
    assert i18n.translate(_n("{n} vote", "{n} votes", 1), "fr") == "1 vote"
    assert i18n.translate(_n("{n} vote", "{n} votes", 5), "fr") == "5 votes"


def test_plural_kwargs_and_default_domain_plural_rule(tmp_path: Path) -> None:
    # No Plural-Forms header: babel's rule for the locale applies (French: n > 1; babel 2.19's
    # third form, "many", falls on the catalog's last form).
    root = tmp_path / "locales"
    target = root / "fr" / "LC_MESSAGES" / "p.po"
    target.parent.mkdir(parents=True)
    target.write_text(
        'msgid "{n} idea by {who}"\nmsgid_plural "{n} ideas by {who}"\n'
        'msgstr[0] "{n} idée de {who}"\nmsgstr[1] "{n} idées de {who}"\n',
        encoding="utf-8",
    )
    i18n = I18n()
    i18n.add_domain("p", root)
    n_ = plural_translatable("p")
    assert i18n.translate(n_("{n} idea by {who}", "{n} ideas by {who}", 0, who="Ana"), "fr") == (
        "0 idée de Ana"
    )
    assert i18n.translate(n_("{n} idea by {who}", "{n} ideas by {who}", 3, who="Ana"), "fr") == (
        "3 idées de Ana"
    )


def test_nested_text_is_translated_in_the_same_locale(i18n: I18n) -> None:
    text = _("You received {what}.", what=_n("{n} token", "{n} tokens", 3))
    assert i18n.translate(text, "fr") == "Vous avez reçu 3 jetons."
    assert i18n.translate(text, "en") == "You received 3 tokens."
    assert str(text) == "You received 3 tokens."


def test_bad_translation_placeholder_falls_back_to_english(
    i18n: I18n, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="bot.i18n"):
        assert i18n.translate(_("Broken {amount}", amount=5), "fr") == "Broken 5"
    assert "bad_translation" in caplog.text


def test_attribute_access_in_translation_is_refused(i18n: I18n) -> None:
    assert i18n.translate(_("Attr {amount}", amount=5), "fr") == "Attr 5"


def test_missing_kwarg_returns_raw_msgid_without_raising(
    i18n: I18n, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="bot.i18n"):
        assert i18n.translate(_("Balance: {amount}"), "fr") == "Balance: {amount}"
        assert i18n.translate(_("Odd {", x=1), "en") == "Odd {"
        assert i18n.translate(_("Spec {x:d}", x="nope"), "en") == "Spec {x:d}"
    assert "bad_format" in caplog.text
    assert str(_("Balance: {amount}")) == "Balance: {amount}"


def test_fuzzy_entries_are_ignored(i18n: I18n) -> None:
    assert i18n.translate(_("Fuzzy message"), "fr") == "Fuzzy message"


def test_context_entries_do_not_leak_into_plain_lookups(i18n: I18n) -> None:
    assert i18n.translate(_("Open"), "fr") == "Open"


def test_locales_and_normalization(i18n: I18n) -> None:
    assert i18n.locales == {"en", "fr"}
    assert i18n.normalize_locale("fr_FR") == "fr"
    assert i18n.normalize_locale("fr-CA") == "fr"
    assert i18n.normalize_locale("FR") == "fr"
    assert i18n.normalize_locale("de") == "en"
    assert i18n.normalize_locale("") == "en"
    assert i18n.normalize_locale(None) == "en"
    assert i18n.translate(_("Hello {name}!", name="Ana"), "fr_BE") == "Bonjour Ana !"


def test_default_locale_is_normalized() -> None:
    assert I18n("fr_FR").default_locale == "fr"
    assert I18n("xx").default_locale == "en"


def test_core_domain_is_loaded_from_bot_locales() -> None:
    assert (CORE_LOCALES_DIR / "fr" / "LC_MESSAGES" / f"{CORE_DOMAIN}.po").is_file()
    i18n = I18n()
    assert "fr" in i18n.locales
    assert i18n.translate(Text("Not a core string", CORE_DOMAIN), "fr") == "Not a core string"


def test_broken_catalog_is_skipped_not_fatal(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    root = tmp_path / "locales"
    target = root / "fr" / "LC_MESSAGES" / "bad.po"
    target.parent.mkdir(parents=True)
    target.write_bytes(b"\xff\xfe not a po file \x00")
    i18n = I18n()
    with caplog.at_level(logging.ERROR, logger="bot.i18n"):
        loaded = i18n.add_domain("bad", root)
    assert loaded == set()
    assert "catalog_unreadable" in caplog.text
    assert i18n.translate(Text("x", "bad"), "fr") == "x"


def test_missing_locales_dir_is_empty(tmp_path: Path) -> None:
    assert I18n().add_domain("x", tmp_path / "nope") == set()


def test_second_directory_extends_a_domain(i18n: I18n, tmp_path: Path) -> None:
    extra = tmp_path / "extra"
    write_po(extra, "fr", "test", 'msgid "More"\nmsgstr "Plus"\n', "nplurals=2; plural=(n > 1);")
    i18n.add_domain("test", extra)
    assert i18n.translate(_("More"), "fr") == "Plus"
    assert i18n.translate(_("Hello {name}!", name="A"), "fr") == "Bonjour A !"


# --- plural rules: the catalog's header wins; babel's locale rule changed in babel 2.19 --------

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = sorted([*ROOT.glob("bot/locales/*/LC_MESSAGES/*.po"),
                  *ROOT.glob("plugins/*/locales/*/LC_MESSAGES/*.po")])
FR_CLDR_RULE = "nplurals=3; plural=(n == 0 || n == 1) ? 0 : n != 0 && n % 1000000 == 0 ? 1 : 2;"
TWO_FORMS = 'msgid "{n} idea"\nmsgid_plural "{n} ideas"\nmsgstr[0] "{n} idée"\nmsgstr[1] "{n} idées"\n'
THREE_FORMS = ('msgid "{n} idea"\nmsgid_plural "{n} ideas"\nmsgstr[0] "{n} idée"\n'
               'msgstr[1] "{n} d’idées"\nmsgstr[2] "{n} idées"\n')  # one, many, other


def _babel_version() -> tuple[int, ...]:
    import babel

    return tuple(int(part) for part in babel.__version__.split(".")[:2])


def _idea(i18n: I18n, domain: str, n: int) -> str:
    return i18n.translate(plural_translatable(domain)("{n} idea", "{n} ideas", n), "fr")


def test_babel_french_rule_is_what_the_loader_expects() -> None:
    # Pins why a catalog needs its own header: babel ≤ 2.18 gives French gettext's two forms,
    # babel 2.19 (rules regenerated from CLDR 48) adds "many" for exact millions.
    from babel.messages.plurals import get_plural

    rule = get_plural("fr")
    if _babel_version() >= (2, 19):
        assert (rule.num_plurals, rule.plural_expr) == (3, FR_CLDR_RULE.split("plural=")[1][:-1])
    else:
        assert (rule.num_plurals, rule.plural_expr) == (2, "(n > 1)")


@pytest.mark.parametrize(("n", "french"), [(0, "0 idée"), (1, "1 idée"), (2, "2 idées"),
                                           (3, "3 idées"), (1_000_000, "1000000 idées")])
def test_two_form_header_wins_over_babels_locale_rule(tmp_path: Path, n: int, french: str) -> None:
    write_po(tmp_path, "fr", "two", TWO_FORMS, "nplurals=2; plural=(n > 1);")
    i18n = I18n()
    i18n.add_domain("two", tmp_path)
    assert _idea(i18n, "two", n) == french


@pytest.mark.parametrize(("n", "french"), [(1, "1 idée"), (2, "2 idées"),
                                           (1_000_000, "1000000 d’idées")])
def test_three_form_header_wins_even_where_babel_has_two(tmp_path: Path, n: int,
                                                         french: str) -> None:
    write_po(tmp_path, "fr", "three", THREE_FORMS, FR_CLDR_RULE)
    i18n = I18n()
    i18n.add_domain("three", tmp_path)
    assert _idea(i18n, "three", n) == french


@pytest.mark.parametrize(("n", "french"), [(0, "0 idée"), (1, "1 idée"), (2, "2 idées"),
                                           (7, "7 idées"), (1_000_000, "1000000 idées")])
def test_headerless_two_form_catalog_stays_french_with_any_babel(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, n: int, french: str
) -> None:
    target = tmp_path / "fr" / "LC_MESSAGES" / "bare.po"
    target.parent.mkdir(parents=True)
    target.write_text(TWO_FORMS, encoding="utf-8")
    i18n = I18n()
    with caplog.at_level(logging.WARNING, logger="bot.i18n"):
        i18n.add_domain("bare", target.parents[2])
    assert _idea(i18n, "bare", n) == french
    # Only where babel's rule has more forms than the catalog is the operator told.
    assert ("no_plural_forms" in caplog.text) == (_babel_version() >= (2, 19))


def test_each_directory_keeps_its_own_plural_rule(tmp_path: Path) -> None:
    write_po(tmp_path / "a", "fr", "mix", TWO_FORMS, "nplurals=2; plural=(n > 1);")
    write_po(tmp_path / "b", "fr", "mix",
             'msgid "{n} vote"\nmsgid_plural "{n} votes"\nmsgstr[0] "{n} voix"\n'
             'msgstr[1] "{n} de voix"\nmsgstr[2] "{n} voix !"\n', FR_CLDR_RULE)
    i18n = I18n()
    i18n.add_domain("mix", tmp_path / "a")
    i18n.add_domain("mix", tmp_path / "b")
    assert _idea(i18n, "mix", 1_000_000) == "1000000 idées"
    vote = plural_translatable("mix")("{n} vote", "{n} votes", 1_000_000)
    assert i18n.translate(vote, "fr") == "1000000 de voix"
    vote = plural_translatable("mix")("{n} vote", "{n} votes", 5)
    assert i18n.translate(vote, "fr") == "5 voix !"


def _header_and_counts(path: Path) -> tuple[str | None, list[tuple[str, int]]]:
    """The raw Plural-Forms value and, per plural entry, how many msgstr[] lines it has."""
    text = path.read_text(encoding="utf-8")
    header = None
    for line in text.splitlines():
        if line.startswith('"Plural-Forms:'):
            header = line[len('"Plural-Forms:'):].strip().removesuffix('\\n"').strip()
    counts = []
    for entry in text.split("\n\n"):
        if "msgid_plural" in entry:
            msgid = next(line for line in entry.splitlines() if line.startswith("msgid "))
            counts.append((msgid, sum(1 for line in entry.splitlines()
                                      if line.startswith("msgstr["))))
    return header, counts


def test_shipped_catalogs_exist() -> None:
    assert len(SHIPPED) >= 6
    assert {p.parts[-3] for p in SHIPPED} == {"fr"}


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: str(p.relative_to(ROOT)))
def test_shipped_catalog_declares_plural_forms_matching_its_entries(path: Path) -> None:
    import gettext
    import re

    header, counts = _header_and_counts(path)
    assert header is not None, f"{path}: no Plural-Forms header"
    found = re.fullmatch(r"nplurals=(\d+); *plural=(.+?);?", header)
    assert found, header
    nplurals = int(found.group(1))
    rule = gettext.c2py(found.group(2))
    assert all(0 <= rule(n) < nplurals for n in range(0, 2000))
    assert [msgid for msgid, count in counts if count != nplurals] == []
    if path.parts[-3] == "fr":  # French: 0 and 1 singular, 2 and more plural
        assert nplurals == 2
        assert [rule(n) for n in (0, 1, 2, 3, 10, 1_000_000)] == [0, 0, 1, 1, 1, 1]


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: str(p.relative_to(ROOT)))
def test_shipped_plurals_render_french_forms(path: Path) -> None:
    from babel.messages.pofile import read_po

    domain = path.stem
    i18n = I18n()
    i18n.add_domain(domain, path.parents[2])
    with path.open("rb") as fp:
        catalog = read_po(fp, locale="fr", domain=domain)
    plurals = [m for m in catalog if isinstance(m.id, tuple) and all(m.string) and not m.fuzzy]
    for message in plurals:
        one, many = message.id
        kwargs = {name: "x" for name in _fields(one, many) if name != "n"}
        for n, form in ((0, 0), (1, 0), (2, 1), (1_000_000, 1)):
            text = plural_translatable(domain)(one, many, n, **kwargs)
            expected = message.string[form].format(n=n, **kwargs)
            assert i18n.translate(text, "fr") == expected, (path.name, one, n)


def _fields(*templates: str) -> set[str]:
    import string

    return {name for t in templates for _t, name, _s, _c in string.Formatter().parse(t) if name}
