"""Every string key the SPA uses exists in English and Traditional Chinese."""

from __future__ import annotations

import json
import re

from tests.e2e.browser import FRONTEND

KEY_CALL = re.compile(r"""\bt\(\s*["']([\w.]+)["']""")


def _used_keys() -> set[str]:
    keys: set[str] = set()
    for path in (FRONTEND / "js").rglob("*.js"):
        keys |= set(KEY_CALL.findall(path.read_text(encoding="utf-8")))
    return keys


def test_both_languages_have_the_same_keys():
    en = json.loads((FRONTEND / "i18n" / "en.json").read_text(encoding="utf-8"))
    zh = json.loads((FRONTEND / "i18n" / "zh-TW.json").read_text(encoding="utf-8"))
    assert set(en) == set(zh)
    assert all(isinstance(v, str) and v for v in [*en.values(), *zh.values()])


def test_every_used_key_is_translated():
    en = json.loads((FRONTEND / "i18n" / "en.json").read_text(encoding="utf-8"))
    used = _used_keys()
    assert len(used) > 50  # the regex really finds the calls
    assert sorted(used - set(en)) == []


def test_dynamic_key_families_are_complete():
    en = json.loads((FRONTEND / "i18n" / "en.json").read_text(encoding="utf-8"))
    for status in ("queued", "processing", "finished", "failed", "cancelled"):
        assert f"status.{status}" in en
    for avail in ("ready", "engine_offline", "missing_nodes", "missing_model"):
        assert f"tool.status.{avail}" in en
    for nav in ("dashboard", "studio", "gallery", "queue", "settings"):
        assert f"nav.{nav}" in en


def test_no_inline_handlers_or_external_urls():
    """CSP forbids inline scripts; the SPA must load nothing from another origin."""
    files = [*FRONTEND.rglob("*.js"), *FRONTEND.rglob("*.html"), *FRONTEND.rglob("*.css")]
    for path in files:
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"\son[a-z]+\s*=\s*[\"']", text), f"inline handler in {path}"
        assert not re.search(r"(src|href)=[\"']https?://", text), f"external URL in {path}"
        assert 'style="' not in text, f"inline style attribute in {path}"
