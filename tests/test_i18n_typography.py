"""French typography in the pages' catalogue: the space before : ; ? ! is a
no-break space, so the mark never starts a line on a narrow phone screen."""

import json
import re
from pathlib import Path

CATALOGUE = Path(__file__).resolve().parent.parent / "frontend" / "i18n" / "fr.json"


def test_french_high_punctuation_keeps_to_its_word() -> None:
    messages = json.loads(CATALOGUE.read_text(encoding="utf-8"))
    broken = [key for key, text in messages.items()
              if isinstance(text, str) and re.search(r" [:;?!](?=\s|$)", text)]
    assert broken == []
