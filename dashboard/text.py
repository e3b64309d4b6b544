"""Paper text made safe for the page: pure functions, no Streamlit.

Paper titles, abstracts, author names and organizations are untrusted. Before they reach
``st.markdown(unsafe_allow_html=True)`` every HTML- or Markdown-significant character becomes a
numeric entity (:func:`escape`); where Streamlit reads Markdown (button labels, captions, metric
labels) every ASCII punctuation character is backslash-escaped (:func:`md_escape`).
"""

from __future__ import annotations

import polars as pl

#: Characters turned into numeric entities so that neither HTML nor Markdown reads them.
_MARKUP = set("<>&\"'`*_[](){}#!|~\\:=+-.$")
_PUNCT = set("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")


def escape(text: str | None) -> str:
    """Paper text made inert for ``st.markdown(unsafe_allow_html=True)``.

    Every HTML or Markdown-significant character becomes a numeric entity; newlines become
    spaces.
    """
    if not text:
        return ""
    return "".join(f"&#{ord(c)};" if c in _MARKUP else c for c in text.replace("\n", " "))


def md_escape(text: str | None) -> str:
    """Paper text for places that read Markdown (button labels, captions).

    Every ASCII punctuation character is backslash-escaped, so no link, emphasis or directive
    forms; newlines become spaces.
    """
    if not text:
        return ""
    return "".join("\\" + c if c in _PUNCT else c for c in text.replace("\n", " "))


def highlight(text: str | None, pattern: str | None) -> str:
    """Escaped text with the matches of a (Rust, case-insensitive) pattern wrapped in <mark>."""
    if not text:
        return ""
    if not pattern:
        return escape(text)
    try:
        found = pl.Series([text]).str.extract_all(pattern).item().to_list()
    except pl.exceptions.PolarsError:
        return escape(text)
    out, pos = [], 0
    for match in found:
        if not match:
            continue
        at = text.find(match, pos)
        if at < 0:
            continue
        out.append(escape(text[pos:at]))
        out.append(f"<mark>{escape(match)}</mark>")
        pos = at + len(match)
    out.append(escape(text[pos:]))
    return "".join(out)
