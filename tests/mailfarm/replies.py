"""SMTP replies and reply templates as the farm's servers send them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Reply:
    """One SMTP reply: a code, an optional enhanced status code and one or more text lines."""

    code: int
    enhanced: str | None
    lines: tuple[str, ...]

    def encode(self) -> bytes:
        """Render the reply on the wire."""
        rendered: list[str] = []
        for number, text in enumerate(self.lines):
            # RFC 5321 §4.2: every line but the last of a multiline reply puts "-" after the code
            separator = " " if number == len(self.lines) - 1 else "-"
            # RFC 2034 §4: the same enhanced status code starts the text of each line
            prefix = f"{self.code}{separator}{self.enhanced} " if self.enhanced else f"{self.code}{separator}"
            rendered.append(f"{prefix}{text}\r\n")
        return "".join(rendered).encode("utf-8")

    def without_enhanced_code(self) -> Reply:
        """The same reply for a server that does not speak ENHANCEDSTATUSCODES (RFC 2034 §3)."""
        return Reply(self.code, None, self.lines)


@dataclass(frozen=True, slots=True)
class ReplyTemplate:
    """A reply whose text lines name `{address}`, `{host}` or `{client}` placeholders."""

    code: int
    enhanced: str | None
    lines: tuple[str, ...]

    def render(self, **fields: str) -> Reply:
        """Fill the placeholders."""
        return Reply(self.code, self.enhanced, tuple(line.format(**fields) for line in self.lines))


def reply(code: int, enhanced: str | None, *lines: str) -> Reply:
    """Shorthand for a fixed reply."""
    return Reply(code, enhanced, lines)


def template(code: int, enhanced: str | None, *lines: str) -> ReplyTemplate:
    """Shorthand for a reply template."""
    return ReplyTemplate(code, enhanced, lines)
