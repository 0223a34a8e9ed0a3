"""The French, Arabic and Portuguese catalogues are complete and compiled, and no
user-facing string of the code is missing from them."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.test import Client
from django.utils import translation

LOCALE_DIR = Path(settings.BASE_DIR) / "locale"
LANGUAGES = ["fr", "ar", "pt"]


def _catalogue(code: str) -> polib.POFile:
    return polib.pofile(str(LOCALE_DIR / code / "LC_MESSAGES" / "django.po"))


@pytest.mark.parametrize("code", LANGUAGES)
def test_catalogue_is_complete(code: str) -> None:
    po = _catalogue(code)
    assert len(po) > 50
    untranslated = [entry.msgid for entry in po.untranslated_entries()]
    fuzzy = [entry.msgid for entry in po.fuzzy_entries()]
    assert not untranslated, f"{code}: untranslated {untranslated[:10]}"
    assert not fuzzy, f"{code}: fuzzy {fuzzy[:10]}"


@pytest.mark.parametrize("code", LANGUAGES)
def test_compiled_catalogue_matches_source(code: str) -> None:
    po = _catalogue(code)
    mo = polib.mofile(str(LOCALE_DIR / code / "LC_MESSAGES" / "django.mo"))
    compiled = {(entry.msgctxt, entry.msgid): (entry.msgstr, entry.msgstr_plural) for entry in mo}
    for entry in po.translated_entries():
        assert (entry.msgctxt, entry.msgid) in compiled, f"{code}: {entry.msgid!r} not compiled"
        msgstr, plural = compiled[(entry.msgctxt, entry.msgid)]
        assert (msgstr, plural) == (entry.msgstr, entry.msgstr_plural) or (
            plural
            and {int(k): v for k, v in plural.items()}
            == {int(k): v for k, v in entry.msgstr_plural.items()}
        ), f"{code}: {entry.msgid!r} compiled differently: run `baobab compilemessages`"


@pytest.mark.skipif(shutil.which("xgettext") is None, reason="GNU gettext is not installed")
def test_every_marked_string_is_in_the_catalogues(tmp_path: Path) -> None:
    """Extract the strings afresh (as `baobab makemessages` would) into a scratch
    folder and compare them with the committed catalogue."""
    source = Path(settings.BASE_DIR)
    copy = tmp_path / "baobab"
    shutil.copytree(source, copy, ignore=shutil.ignore_patterns("locale", "__pycache__", "tests"))
    (tmp_path / "extract_settings.py").write_text(
        f"from baobab.settings import *  # noqa\nLOCALE_PATHS = [{str(tmp_path / 'locale')!r}]\n"
    )
    (tmp_path / "locale").mkdir()
    env = {**os.environ, "PYTHONPATH": str(tmp_path), "DEBUG": "true"}
    subprocess.run(
        [
            sys.executable,
            "-P",  # not the copy's folder on sys.path: its celery.py would hide Celery
            "-m",
            "django",
            "makemessages",
            "-l",
            "fr",
            "--no-location",
            "--settings",
            "extract_settings",
        ],
        cwd=copy,
        env=env,
        check=True,
        capture_output=True,
    )
    fresh = {
        (e.msgctxt, e.msgid)
        for e in polib.pofile(str(tmp_path / "locale/fr/LC_MESSAGES/django.po"))
    }
    committed = {(e.msgctxt, e.msgid) for e in _catalogue("fr") if not e.obsolete}
    missing = sorted(msgid for _ctx, msgid in fresh - committed)
    assert not missing, f"strings missing from the catalogues (run make messages): {missing[:15]}"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("code", "direction"), [("en", "ltr"), ("fr", "ltr"), ("ar", "rtl"), ("pt", "ltr")]
)
def test_login_page_in_each_language(client: Client, code: str, direction: str) -> None:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = code
    body = client.get("/account/login/").content.decode()
    assert f'lang="{code}"' in body
    assert f'dir="{direction}"' in body
    with translation.override(code):
        for text in ("Log in", "Language", "Change language"):
            translated = translation.gettext(text)
            assert code == "en" or translated != text, f"{text!r} is not translated into {code}"
            assert translated in body
