"""``make messages``: extract every translatable text into ``locales/messages.pot`` and merge it
into each language's ``messages.po`` (new texts empty, changed ones fuzzy, for a translator).

Texts come from three kinds of source:

- marked in code: ``_()``/``gettext``/``ngettext``/``N_()`` in Python, ``_()``/``{% trans %}`` in
  the Jinja templates (CivicID's and the demo forum's), ``CivicID.t()`` in /static scripts;
- every typed error's ``default_message`` (each subclass of ``CivicIDError``, in every module),
  so an error cannot reach a citizen without a place in the catalogue;
- the tables of texts other modules keep as data (:data:`TABLES`): the consent page's claim
  labels, the history's phrases, the account page's outcome messages.

Run: ``python -m civicid.web.i18n.extract`` (``make messages``).
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import sys
from io import BytesIO
from pathlib import Path
from typing import Iterable, Iterator

from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.pofile import write_po

import civicid
from civicid.errors import CivicIDError
from civicid.web.i18n.catalogues import DOMAIN, LOCALES_DIR, po_path, read_catalog
from civicid.web.i18n.negotiation import BABEL_NAMES, DEFAULT, SUPPORTED

PACKAGE_DIR = Path(civicid.__file__).parent
ROOT = PACKAGE_DIR.parents[1]  # the checkout: locations are written relative to it
PROJECT = "CivicID"

#: (module, name of a dict or tuple of texts): texts other modules keep as data
TABLES: tuple[tuple[str, str], ...] = (
    ("civicid.oidc.claims", "LABELS"),
    ("civicid.web.citizen_account", "_PHRASES"),
    ("civicid.web.citizen_account", "_CHANNELS"),
    ("civicid.web.citizen_account", "KIND_LABELS"),
    ("civicid.web.citizen_account", "WHO"),
    ("civicid.web.routes.pages", "DONE"),
)
_TEMPLATES = "jinja2.ext:babel_extract"
_PY_MAP = [("**/static/**", "ignore"), ("**/templates/**.html", _TEMPLATES), ("**.py", "python")]
_JS_MAP = [("web/static/api-docs/**", "ignore"), ("web/static/**.js", "javascript")]
_OPTIONS = {"**/templates/**.html": {"extensions": "jinja2.ext.i18n", "newstyle_gettext": "true", "trimmed": "true"}}
#: Python: gettext's usual names, and the OpenID provider's error pages (their text, argument 2)
_PY_KEYWORDS = {**DEFAULT_KEYWORDS, "ErrorPage": (2,)}


def _relative(path: str | Path) -> str:
    try:
        return Path(path).resolve().relative_to(ROOT).as_posix()
    except ValueError:
        return Path(path).as_posix()


def all_modules() -> list[str]:
    """Import every module of the package (so every error class is defined); the names imported."""
    names = []
    for info in pkgutil.walk_packages(civicid.__path__, "civicid."):
        if info.name.endswith("__main__"):
            continue
        importlib.import_module(info.name)
        names.append(info.name)
    return names


def error_classes() -> list[type[CivicIDError]]:
    """Every subclass of :class:`CivicIDError` the package defines (imported so far), in a stable order."""
    found: dict[type, None] = {}
    stack = [CivicIDError]
    while stack:
        for sub in stack.pop().__subclasses__():
            if sub not in found:
                found[sub] = None
                stack.append(sub)
    ours = [cls for cls in (CivicIDError, *found) if cls.__module__.split(".")[0] == "civicid"]  # not tests' own
    return sorted(ours, key=lambda c: (c.__module__, c.__qualname__))


def _line_of(path: Path, text: str) -> int | None:
    needle = text.split("\n")[0][:40]
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if needle in line:
            return number
    return None


def table_texts() -> Iterator[tuple[str, str, int | None]]:
    """(text, file, line) of every text in :data:`TABLES` (a table not defined is skipped)."""
    for module_name, attribute in TABLES:
        module = importlib.import_module(module_name)
        table = getattr(module, attribute, None)
        if table is None:
            continue
        values: Iterable = table.values() if isinstance(table, dict) else table
        path = Path(inspect.getsourcefile(module))
        for value in values:
            if isinstance(value, str) and value:
                yield value, _relative(path), _line_of(path, value)


def error_texts() -> Iterator[tuple[str, str, int | None]]:
    for cls in error_classes():
        if "default_message" in vars(cls):
            path = Path(inspect.getsourcefile(cls))
            yield cls.default_message, _relative(path), inspect.getsourcelines(cls)[1]


def build_template() -> Catalog:
    all_modules()
    template = Catalog(project=PROJECT, version=civicid.__version__, copyright_holder=PROJECT, domain=DOMAIN,
                       charset="utf-8", fuzzy=False)

    def add(message, location: tuple[str, int | None], comments=(), context=None):
        template.add(message, None, [location], auto_comments=comments, context=context)

    for path, line, message, comments, context in extract_from_dir(
            PACKAGE_DIR, _PY_MAP, _OPTIONS, _PY_KEYWORDS, comment_tags=("Translators:",)):
        add(message, (_relative(PACKAGE_DIR / path), line), comments, context)
    for path, line, message, comments, context in extract_from_dir(
            PACKAGE_DIR, _JS_MAP, {}, {"t": None}, comment_tags=("Translators:",)):
        add(message, (_relative(PACKAGE_DIR / path), line), comments, context)
    for text, path, line in (*error_texts(), *table_texts()):
        add(text, (path, line))
    return template


def _undated(text: bytes) -> bytes:
    return b"\n".join(line for line in text.split(b"\n") if not line.startswith(b'"POT-Creation-Date:'))


def write(catalog: Catalog, path: Path) -> None:
    """Write the catalogue, unless only its creation date would change (no churn for nothing)."""
    buffer = BytesIO()
    write_po(buffer, catalog, width=100, sort_output=False, ignore_obsolete=True)
    if path.exists() and _undated(path.read_bytes()) == _undated(buffer.getvalue()):
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(buffer.getvalue())


def update(directory: Path = LOCALES_DIR) -> Catalog:
    template = build_template()
    write(template, directory / f"{DOMAIN}.pot")
    for locale in SUPPORTED:
        if locale == DEFAULT:
            continue
        path = po_path(locale, directory)
        if path.exists():
            catalog = read_catalog(path, BABEL_NAMES[locale])
        else:
            catalog = Catalog(locale=BABEL_NAMES[locale], project=PROJECT, copyright_holder=PROJECT, domain=DOMAIN,
                              fuzzy=False, last_translator=PROJECT, language_team=PROJECT)
        catalog.update(template, update_header_comment=False)
        catalog.version = template.version
        write(catalog, path)
    return template


def main() -> int:
    template = update()
    print(f"{len(template)} messages in {_relative(LOCALES_DIR / (DOMAIN + '.pot'))}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
