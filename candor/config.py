"""The per-user settings file, and where the anchor manifest comes from.

``candor`` run as an installed tool needs three things that a source
checkout used to supply: the anchor manifest, the API's URL and the
member's key file. They live in ``$XDG_CONFIG_HOME/candor/config.toml``
(``~/.config/candor/config.toml``), written by ``candor init``,
``candor manifest publish`` and ``candor config set``, so daily commands
need no flags. The file is read with ``tomllib`` and written by the tiny
writer below: it only ever holds top-level string values.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from pathlib import Path

from candor.prompt import CliError

KEYS = {
    "manifest": "the anchor manifest file (trusted: compare its fingerprint out of band)",
    "api": "the API's base URL",
    "key": "your FILE.candor-key",
}
PATH_KEYS = frozenset({"manifest", "key"})
MANIFEST_ENV = "CANDOR_MANIFEST"
MISSING_ANCHOR = ("no anchor manifest: give --manifest FILE, set CANDOR_MANIFEST, "
                  "or run `candor config set manifest FILE`")


def config_path(environ: Mapping[str, str] | None = None) -> Path:
    """``$XDG_CONFIG_HOME/candor/config.toml``; XDG says a relative value is ignored."""
    env = os.environ if environ is None else environ
    base = env.get("XDG_CONFIG_HOME", "")
    root = Path(base) if base and Path(base).is_absolute() else Path.home() / ".config"
    return root / "candor" / "config.toml"


def load_config(path: Path | None = None) -> dict[str, str]:
    """The settings, or {} when there is no file. Raises CliError when it is
    not TOML or holds something other than known string settings."""
    path = path or config_path()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise CliError(f"cannot read {path}: {exc}") from None
    for key, value in data.items():
        if key not in KEYS or not isinstance(value, str):
            raise CliError(f"{path}: unknown setting {key!r}; known: {', '.join(KEYS)}")
    return data


def _toml_string(value: str) -> str:
    """A TOML basic string: quote, backslash and control characters escaped."""
    out = []
    for char in value:
        if char in '"\\':
            out.append("\\" + char)
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            out.append(f"\\u{ord(char):04X}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def save_config(settings: Mapping[str, str], path: Path | None = None) -> Path:
    """Write ``settings`` (private to the user, replaced whole). Returns the path."""
    path = path or config_path()
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    text = "# written by candor; `candor config set KEY VALUE` changes it\n"
    text += "".join(f"{key} = {_toml_string(settings[key])}\n"
                    for key in KEYS if settings.get(key))
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.chmod(0o600)
    tmp.replace(path)
    return path


def set_value(key: str, value: str, path: Path | None = None) -> Path:
    """Set one setting (an empty value removes it); file paths are stored
    absolute, so the tool works from any directory. Raises CliError."""
    if key not in KEYS:
        raise CliError(f"unknown setting {key!r}; known: {', '.join(KEYS)}")
    settings = load_config(path)
    if not value:
        settings.pop(key, None)
    else:
        settings[key] = str(Path(value).expanduser().resolve()) if key in PATH_KEYS else value
    return save_config(settings, path)


def checkout_anchor(start: Path | None = None) -> Path | None:
    """``frontend/manifest.json`` of the source checkout the current directory
    is in, if it is in one: a developer there needs no flag."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        anchor = folder / "frontend" / "manifest.json"
        if anchor.is_file() and (folder / "candor" / "__main__.py").is_file():
            return anchor
    return None


def anchor_path(flag: str | None, environ: Mapping[str, str] | None = None,
                cwd: Path | None = None) -> Path:
    """The anchor manifest's file: ``--manifest``, then ``CANDOR_MANIFEST``,
    then the config file, then the checkout's. Raises CliError naming the fix."""
    env = os.environ if environ is None else environ
    for candidate in (flag, env.get(MANIFEST_ENV), load_config(config_path(env)).get("manifest")):
        if candidate:
            return Path(candidate).expanduser()
    found = checkout_anchor(cwd)
    if found is None:
        raise CliError(MISSING_ANCHOR)
    return found


def setting(name: str, flag: str | None = None) -> str | None:
    """A flag's value, else the config file's."""
    return flag or load_config().get(name) or None
