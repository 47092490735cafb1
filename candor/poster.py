"""``candor release poster``: the intranet poster for the reporter page (issue 17).

A printable HTML page with the reporter page's address as a QR code and
the two fingerprints a reader can compare out of band: the team key
fingerprint of the manifest the pages embed, and the fingerprint of the
signed release of the pages (protocol §4.5, §4.8; docs/verify.md). The
poster is made only from a release that verifies against the manifest, so
a poster never vouches for pages the admins did not sign.
"""

from __future__ import annotations

import argparse
import html
import os
from pathlib import Path

from candor import release as rel
from candor.prompt import CliError
from candor.releasecli import _anchor, _read_json

TITLE = "Report an incident, safely and anonymously"
# Medium error correction survives a crease or a pin through the paper.
QR_ERROR = "m"
QR_SCALE = 10  # pixels a module: sharp when printed at the CSS size below


def poster_html(url: str, release: rel.Release, title: str = TITLE) -> str:
    """The poster for the reporter page at ``url`` and its signed ``release``."""
    if not url.startswith("https://") and not url.startswith("http://"):
        raise CliError(f"{url}: give the reporter page's http(s) address")
    import segno  # only here: every other command starts without it

    qr = segno.make_qr(url, error=QR_ERROR).png_data_uri(scale=QR_SCALE, border=4)
    manifest = release["manifest"]
    esc = html.escape
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{esc(title)}</title>
<style>
  @page {{ size: A4; margin: 18mm; }}
  body {{ font: 14pt/1.4 system-ui, sans-serif; color: #000; max-width: 170mm; margin: auto; }}
  h1 {{ font-size: 26pt; margin: 0 0 8mm; }}
  .qr {{ width: 70mm; height: 70mm; image-rendering: pixelated; display: block; margin: 6mm 0; }}
  .url {{ font: 16pt monospace; word-break: break-all; }}
  code {{ font: 11pt monospace; word-break: break-all; }}
  .small {{ font-size: 10pt; }}
</style>
</head>
<body>
<h1>{esc(title)}</h1>
<p>Scan the code or type the address. Your report is encrypted in your browser before it is
sent; you do not need to give your name.</p>
<img class="qr" src="{qr}" alt="QR code for {esc(url)}">
<p class="url" id="url">{esc(url)}</p>
<h2>Check that the page is genuine</h2>
<p>The page shows these fingerprints under "Technical details". They must be the same:</p>
<p>Team key fingerprint (key list version {manifest["version"]}):<br>
<code id="manifest-fingerprint">{esc(manifest["fingerprint"])}</code></p>
<p>Fingerprint of the signed release {release["version"]} of the pages:<br>
<code id="release-fingerprint">{esc(rel.fingerprint(release))}</code></p>
<p class="small">Release {release["version"]} is valid from {esc(release["issued"])} to
{esc(release["expires"])}. When the team's keys or the pages change, a new poster
replaces this one.</p>
</body>
</html>
"""


def release_poster(args: argparse.Namespace) -> int:
    manifest = _anchor(args)
    try:
        release = rel.verify_release(_read_json(Path(args.release), "the release"), manifest)
    except rel.ReleaseInvalid as exc:
        raise CliError(f"no poster: {args.release}: {exc}") from None
    text = poster_html(args.url, release, args.title)
    partial = Path(args.output + ".partial")
    partial.write_text(text, encoding="utf-8")
    os.replace(partial, args.output)
    print(f"wrote {args.output}: release {release['version']}, fingerprint "
          f"{rel.fingerprint(release)}; print it for the intranet")
    return 0


def add_command(actions: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = actions.add_parser("poster", help="a printable poster: the page's QR code, fingerprints")
    p.add_argument("release", help="the published release (the site's release.json)")
    p.add_argument("--url", required=True, help="the reporter page's address")
    p.add_argument("--manifest", help="the manifest the pages were built with (default: "
                                      "the anchor in use, as for team commands)")
    p.add_argument("--title", default=TITLE, help="the poster's heading")
    p.add_argument("-o", "--output", default="poster.html", help="the HTML file to write")
    p.set_defaults(func=release_poster)
