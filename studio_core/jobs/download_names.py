"""The file name an output image is downloaded under: tool, prompt words, seed, 1-based index.

    text_to_image_a-cat-on-a-sofa_123456_2.png

The page names its download links the same way (frontend/js/lib/download-name.js follows
these rules step for step), so the name a browser suggests is the same whether it comes
from the link's `download` attribute or from the server's Content-Disposition header:

1. the prompt, NFKC-normalized; its words are the runs of letters, marks and digits
   (Unicode categories L, M, N), lowercased;
2. the slug: at most MAX_WORDS words joined by "-", at most MAX_SLUG characters (code
   points), whole words only but for a first word longer than that, which is cut;
3. the parts tool, slug, seed, index joined by "_" (an empty slug or a missing seed is left
   out), then ".png".

`ascii_only` is the fallback for the header's plain `filename=`: the prompt is decomposed
(NFKD) and what is not ASCII dropped first, so "café" gives "cafe" and a Chinese prompt no
words at all.
"""

from __future__ import annotations

import unicodedata
from urllib.parse import quote

MAX_WORDS = 6
MAX_SLUG = 40


def _words(text: str) -> list[str]:
    words, current = [], []
    for char in text:
        if unicodedata.category(char)[0] in "LMN":
            current.append(char)
        elif current:
            words.append("".join(current))
            current = []
    if current:
        words.append("".join(current))
    return [w.lower() for w in words]


def prompt_slug(prompt: str | None, ascii_only: bool = False) -> str:
    """The prompt's first words, lowercased and joined by "-", bounded (rules 1-2)."""
    text = unicodedata.normalize("NFKC", prompt or "")
    if ascii_only:
        text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    slug = ""
    for word in _words(text)[:MAX_WORDS]:
        joined = f"{slug}-{word}" if slug else word
        if len(joined) > MAX_SLUG:
            return slug or word[:MAX_SLUG]
        slug = joined
    return slug


def download_name(
    tool: str, prompt: str | None, seed: int | None, index: int, ascii_only: bool = False
) -> str:
    """The download name of a job's output number `index` (1-based, as the page counts)."""
    parts = [tool or "image", prompt_slug(prompt, ascii_only)]
    parts += ["" if seed is None else str(seed), str(index)]
    return "_".join(p for p in parts if p) + ".png"


def content_disposition(
    kind: str, tool: str, prompt: str | None, seed: int | None, index: int
) -> str:
    """The Content-Disposition (`inline` or `attachment`) naming the download, RFC 6266:
    a plain ASCII `filename` for every client and, when the prompt is not all ASCII, the
    full name as `filename*` in UTF-8 (RFC 5987), which browsers prefer."""
    name = download_name(tool, prompt, seed, index)
    fallback = download_name(tool, prompt, seed, index, ascii_only=True)
    if name == fallback:
        return f'{kind}; filename="{name}"'
    return f"{kind}; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"
