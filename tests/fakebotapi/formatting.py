"""Telegram text formatting: the HTML parser and length helpers.

The parsers follow the behaviour of tdlib (``td/telegram/MessageEntity.cpp``), which is what the
Bot API server runs: they turn marked-up text into plain text plus a list of MessageEntity dicts
(offsets and lengths in UTF-16 code units, as Telegram reports them) and raise
:class:`EntityParseError` with tdlib's wording when Telegram would answer
``400 Bad Request: can't parse entities: ...``.

Notable tdlib behaviours reproduced here:

* HTML: only ``b strong i em u ins s strike del span(class=tg-spoiler) tg-spoiler a code pre
  blockquote tg-emoji`` are allowed; any other tag, and a ``<`` that does not start a tag
  (``"1 < 2"``), is an error. The only named entities are ``&lt; &gt; &amp; &quot;`` plus numeric
  ones (``&#65; &#x41;``); the trailing ``;`` is optional. A ``&`` that does not start one of
  those is kept literally (so ``"R&D"`` is accepted by the real server); pass
  ``strict_entities=True`` to reject it instead.
* End tags must match the innermost open tag exactly (``<b>x</B>`` is an error); ``</>`` closes
  the innermost tag.

The bot sends HTML only, so the Markdown modes are not faked: ``parse_mode`` ``MarkdownV2`` or
``Markdown`` is answered ``400 unsupported parse_mode``, and a test that sends it fails loudly.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Literal

Entity = dict[str, Any]
LengthUnit = Literal["chars", "utf16"]

HTML_TAGS = frozenset(
    {
        "a",
        "b",
        "strong",
        "i",
        "em",
        "s",
        "strike",
        "del",
        "u",
        "ins",
        "tg-spoiler",
        "tg-emoji",
        "span",
        "pre",
        "code",
        "blockquote",
    }
)

_SIMPLE_HTML_ENTITY_TYPES = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
}

_NAMED_HTML_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_HEX_DIGITS = frozenset("0123456789abcdefABCDEF")
_ASCII_DIGITS = frozenset("0123456789")


class EntityParseError(ValueError):
    """Telegram would reject the text with ``Bad Request: can't parse entities: <message>``."""


def utf16_len(text: str) -> int:
    """Length of ``text`` in UTF-16 code units (how Telegram measures entity offsets)."""
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


def text_length(text: str, unit: LengthUnit) -> int:
    """Length used for the 4096/1024 limits: Unicode code points ("chars") or UTF-16 units."""
    return len(text) if unit == "chars" else utf16_len(text)


def _byte_offset(text: str, pos: int) -> int:
    return len(text[:pos].encode("utf-8", "surrogatepass"))


def _is_space(ch: str) -> bool:
    # tdlib's is_space(): ' ', '\t', '\r', '\n', '\0', '\v'
    return ch in " \t\r\n\0\v"


def _is_ascii_alpha(ch: str) -> bool:
    return ch.isascii() and ch.isalpha()


def _is_ascii_alnum(ch: str) -> bool:
    return ch.isascii() and ch.isalnum()


def decode_html_entity(text: str, pos: int) -> tuple[str | None, int]:
    """Decode an HTML entity starting at ``text[pos] == '&'`` the way tdlib does.

    Returns ``(character, position after the entity)`` or ``(None, pos)`` if there is none.
    """
    n = len(text)
    end = pos + 1
    if end < n and text[end] == "#":
        end += 1
        code = 0
        if end < n and text[end] == "x":
            end += 1
            start = end
            while end < n and text[end] in _HEX_DIGITS:
                end += 1
            digits = text[start:end]
            code = int(digits, 16) if digits and len(digits) < 8 else 0
        else:
            start = end
            while end < n and text[end] in _ASCII_DIGITS:
                end += 1
            digits = text[start:end]
            code = int(digits) if digits and len(digits) < 8 else 0
        if code == 0 or code >= 0x10FFFF or end - pos >= 10 or 0xD800 <= code <= 0xDFFF:
            return None, pos
        char = chr(code)
    else:
        while end < n and _is_ascii_alpha(text[end]):
            end += 1
        decoded = _NAMED_HTML_ENTITIES.get(text[pos + 1 : end])
        if decoded is None:
            return None, pos
        char = decoded
    if end < n and text[end] == ";":
        end += 1
    return char, end


@dataclass
class _OpenTag:
    tag: str
    argument: str | None
    utf16_offset: int
    text_pos: int  # position in the output text
    source_pos: int  # position of '<' in the source


@dataclass
class _Output:
    chars: list[str] = field(default_factory=list)
    utf16: int = 0

    def add(self, chunk: str) -> None:
        self.chars.append(chunk)
        self.utf16 += utf16_len(chunk)

    def text(self) -> str:
        return "".join(self.chars)


def _normalize_url(url: str) -> str | None:
    url = url.strip()
    if not url or any(ch.isspace() for ch in url):
        return None
    if re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", url):
        scheme = url.split(":", 1)[0].lower()
        if scheme in ("http", "https", "tg", "ton", "ftp"):
            return url
        return None
    if "." not in url:
        return None
    return "http://" + url


def parse_html(text: str, *, strict_entities: bool = False) -> tuple[str, list[Entity]]:
    """Parse Telegram HTML. Returns ``(plain_text, entities)`` (untrimmed)."""
    out = _Output()
    entities: list[Entity] = []
    stack: list[_OpenTag] = []
    n = len(text)
    i = 0

    def unclosed(begin: int) -> EntityParseError:
        return EntityParseError(f"Unclosed start tag at byte offset {_byte_offset(text, begin)}")

    while i < n:
        ch = text[i]
        if ch == "&":
            decoded, after = decode_html_entity(text, i)
            if decoded is not None:
                out.add(decoded)
                i = after
                continue
            if strict_entities:
                raise EntityParseError(
                    f"Unsupported HTML entity at byte offset {_byte_offset(text, i)}"
                    " (strict mode: a bare '&' must be written as &amp;)"
                )
        if ch != "<":
            out.add(ch)
            i += 1
            continue

        begin = i
        i += 1
        if i < n and text[i] == "/":
            # ---- end tag
            if not stack:
                raise EntityParseError(
                    f"Unexpected end tag at byte offset {_byte_offset(text, begin)}"
                )
            i += 1
            name_start = i
            while i < n and not _is_space(text[i]) and text[i] != ">":
                i += 1
            end_name = text[name_start:i]
            while i < n and _is_space(text[i]):
                i += 1
            if i >= n or text[i] != ">":
                raise EntityParseError(
                    f"Unclosed end tag at byte offset {_byte_offset(text, begin)}"
                )
            i += 1
            opened = stack.pop()
            if end_name and end_name != opened.tag:
                raise EntityParseError(
                    f"Unmatched end tag at byte offset {_byte_offset(text, begin)}, "
                    f'expected "</{opened.tag}>", found "</{end_name}>"'
                )
            _close_html_entity(opened, out, entities)
            continue

        # ---- start tag
        while i < n and not _is_space(text[i]) and text[i] != ">":
            i += 1
        if i >= n:
            raise unclosed(begin)
        tag = text[begin + 1 : i].lower()
        if tag not in HTML_TAGS:
            raise EntityParseError(
                f'Unsupported start tag "{tag}" at byte offset {_byte_offset(text, begin)}'
            )
        argument: str | None = None
        while True:
            while i < n and _is_space(text[i]):
                i += 1
            if i >= n:
                raise unclosed(begin)
            if text[i] == ">":
                break
            attr_start = i
            while i < n and not _is_space(text[i]) and text[i] not in "=>":
                i += 1
            attr_name = text[attr_start:i].lower()
            if not attr_name:
                raise EntityParseError(
                    f'Empty attribute name in the tag "{tag}" at byte offset '
                    f"{_byte_offset(text, begin)}"
                )
            while i < n and _is_space(text[i]):
                i += 1
            if i >= n:
                raise unclosed(begin)
            if text[i] != "=":
                if tag == "blockquote" and attr_name == "expandable":
                    argument = "1"
                continue
            i += 1
            while i < n and _is_space(text[i]):
                i += 1
            if i >= n:
                raise unclosed(begin)
            if text[i] not in "'\"":
                token_start = i
                while i < n and (_is_ascii_alnum(text[i]) or text[i] in ".-"):
                    i += 1
                value = text[token_start:i].lower()
                if i >= n:
                    raise unclosed(begin)
                if not _is_space(text[i]) and text[i] != ">":
                    raise EntityParseError(
                        "Unexpected end of name token at byte offset "
                        f"{_byte_offset(text, token_start)}"
                    )
            else:
                quote = text[i]
                i += 1
                chunks: list[str] = []
                while i < n and text[i] != quote:
                    if text[i] == "&":
                        decoded, after = decode_html_entity(text, i)
                        if decoded is not None:
                            chunks.append(decoded)
                            i = after
                            continue
                    chunks.append(text[i])
                    i += 1
                if i < n:
                    i += 1
                value = "".join(chunks)
                if i >= n:
                    raise unclosed(begin)
            if tag == "a" and attr_name == "href":
                argument = value
            elif tag == "code" and attr_name == "class" and value.startswith("language-"):
                argument = value[len("language-") :]
            elif tag == "span" and attr_name == "class" and value.startswith("tg-"):
                argument = value[len("tg-") :]
            elif tag == "tg-emoji" and attr_name == "emoji-id":
                argument = value
            elif tag == "blockquote" and attr_name == "expandable":
                argument = "1"
        i += 1  # skip '>'
        if tag == "span" and argument != "spoiler":
            raise EntityParseError(
                'Tag "span" must have class "tg-spoiler" at byte offset '
                f"{_byte_offset(text, begin)}"
            )
        stack.append(_OpenTag(tag, argument, out.utf16, len(out.chars), begin))

    if stack:
        raise EntityParseError(f'Can\'t find end tag corresponding to start tag "{stack[-1].tag}"')
    return out.text(), _sort_entities(entities)


def _close_html_entity(opened: _OpenTag, out: _Output, entities: list[Entity]) -> None:
    offset = opened.utf16_offset
    length = out.utf16 - offset
    if length <= 0:
        return
    tag = opened.tag
    base: Entity = {"offset": offset, "length": length}
    if tag in _SIMPLE_HTML_ENTITY_TYPES:
        entities.append({"type": _SIMPLE_HTML_ENTITY_TYPES[tag], **base})
    elif tag == "span":
        entities.append({"type": "spoiler", **base})
    elif tag == "tg-emoji":
        emoji_id = opened.argument or ""
        if not emoji_id.isdigit():
            raise EntityParseError("Invalid custom emoji identifier specified")
        entities.append({"type": "custom_emoji", **base, "custom_emoji_id": emoji_id})
    elif tag == "a":
        url = opened.argument
        if url is None:
            url = "".join(out.chars[opened.text_pos :])
        if url.startswith("tg://user?id="):
            user_id = url[len("tg://user?id=") :]
            if user_id.isdigit():
                entities.append(
                    {
                        "type": "text_mention",
                        **base,
                        "user": {"id": int(user_id), "is_bot": False, "first_name": ""},
                    }
                )
            return
        normalized = _normalize_url(url)
        if normalized is not None:
            entities.append({"type": "text_link", **base, "url": normalized})
    elif tag == "pre":
        last = entities[-1] if entities else None
        if (
            last is not None
            and last["type"] == "code"
            and last["offset"] == offset
            and last["length"] == length
        ):
            language = last.pop("_language", None)
            last["type"] = "pre"
            if language:
                last["language"] = language
        else:
            entities.append({"type": "pre", **base})
    elif tag == "code":
        entity: Entity = {"type": "code", **base}
        if opened.argument:
            entity["_language"] = opened.argument
        entities.append(entity)
    elif tag == "blockquote":
        kind = "expandable_blockquote" if opened.argument else "blockquote"
        entities.append({"type": kind, **base})


def _sort_entities(entities: list[Entity]) -> list[Entity]:
    for entity in entities:
        entity.pop("_language", None)
    return sorted(entities, key=lambda e: (e["offset"], -e["length"]))


# --------------------------------------------------------------------------- public entry point


def trim_formatted(text: str, entities: list[Entity]) -> tuple[str, list[Entity]]:
    """Strip leading/trailing whitespace like Telegram does and clip the entities to match."""
    stripped_left = text.lstrip()
    left = utf16_len(text) - utf16_len(stripped_left)
    result = stripped_left.rstrip()
    total = utf16_len(result)
    clipped: list[Entity] = []
    for entity in entities:
        start = max(entity["offset"] - left, 0)
        end = min(entity["offset"] + entity["length"] - left, total)
        if end > start:
            clipped.append({**entity, "offset": start, "length": end - start})
    return result, clipped


def format_text(
    text: str,
    parse_mode: str | None,
    *,
    entities: list[Entity] | None = None,
    strict_html_entities: bool = False,
) -> tuple[str, list[Entity]]:
    """Apply ``parse_mode`` (or explicit ``entities``) and trim. Raises :class:`EntityParseError`.

    ``parse_mode`` is case-insensitive like on the real server; an unknown value raises
    ``ValueError`` ("unsupported parse_mode").
    """
    if entities is not None:
        plain, parsed = text, [dict(e) for e in entities]
    else:
        mode = (parse_mode or "").lower()
        if mode == "":
            plain, parsed = text, []
        elif mode == "html":
            plain, parsed = parse_html(text, strict_entities=strict_html_entities)
        else:
            raise ValueError(f"unsupported parse_mode {parse_mode!r}")
    return trim_formatted(plain, parsed)
