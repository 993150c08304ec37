"""Plain words for template syntax errors: what is wrong, where, and how to fix it.

Jinja's own messages ("expected name or number") are written for developers. The common
mistakes get a sentence a non-developer understands, with the line number kept:
an unclosed `{{` or `{%`, a block without its end tag, an unknown filter or test, a
stray `}`. Anything else keeps jinja's words after "Line N:".
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from difflib import get_close_matches

_DELIMITER = re.compile(r"\{\{|\}\}|\{%|%\}|\{#|#\}")
_CLOSERS = {"{{": "}}", "{%": "%}", "{#": "#}"}
_UNKNOWN_NAME = re.compile(r"no (filter|test) named '([^']*)'", re.IGNORECASE)
_OPEN_BLOCK = re.compile(r"innermost block that needs to be closed is '(\w+)'")
_STRAY_TAG = re.compile(r"encountered unknown tag '(end\w+|else|elif)'", re.IGNORECASE)


def unclosed_delimiter(source: str) -> tuple[str, int] | None:
    """The last `{{`, `{%` or `{#` that is never closed, and its line; None if all close."""
    opened: tuple[str, int] | None = None
    for match in _DELIMITER.finditer(source):
        token = match.group()
        if opened is None and token in _CLOSERS:
            opened = (token, source.count("\n", 0, match.start()) + 1)
        elif opened is not None and token == _CLOSERS[opened[0]]:
            opened = None
    return opened


def _names_hint(kind: str, name: str, known: Iterable[str]) -> str:
    names = sorted(known_name for known_name in known if known_name.isidentifier())
    close = get_close_matches(name, names, n=1)
    guess = f" Did you mean {close[0]}?" if close else ""
    return f"{guess} {kind.capitalize()}s you can use: {', '.join(names)}."


def plain_syntax_message(
    message: str,
    line: int | None,
    source: str,
    *,
    filters: Iterable[str] = (),
    tests: Iterable[str] = (),
) -> str:
    """A sentence for one jinja syntax error (`message` at `line` of `source`)."""
    where = f" (line {line})" if line else ""
    lowered = message.lower()
    unknown = _UNKNOWN_NAME.search(message)
    if unknown:
        kind, name = unknown.group(1).lower(), unknown.group(2)
        known = filters if kind == "filter" else tests
        return f"No {kind} named '{name}'{where}." + _names_hint(kind, name, known)
    unclosed = unclosed_delimiter(source)
    if unclosed is not None:
        opener, opened_on = unclosed
        return (
            f"This template is not finished: a {opener} is not closed with "
            f"{_CLOSERS[opener]} (line {opened_on})."
        )
    block = _OPEN_BLOCK.search(message)
    if block and "end of template" in lowered:
        tag = block.group(1)
        return (
            f"This template is not finished: a {{% {tag} %}} is not closed with "
            f"{{% end{tag} %}}{where}."
        )
    stray = _STRAY_TAG.search(message)
    if stray:
        return f"There is a {{% {stray.group(1)} %}} without the block it belongs to{where}."
    if lowered.startswith("expected an expression"):
        return f"A value is missing{where}: put one in, like {{{{ trigger.body.name }}}}."
    if "unexpected '}'" in lowered:
        return (
            f"A }} is out of place{where}: a value is written as {{{{ name }}}}, "
            "with two braces on each side."
        )
    text = message.rstrip(".") or "the template is malformed"
    hint = " — check that every {{ has a matching }} around one value"
    return f"Line {line}: {text}" + (hint if "end of print statement" in lowered else "")
