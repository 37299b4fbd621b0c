"""nginx's configuration: the file syntax, `include`, and the directives the stand-in serves.

The syntax is nginx's own (words and quoted strings, `;` ends a directive, `{ }` a block,
`#` a comment). The stand-in understands what simple server blocks use: `listen`,
`server_name`, `root`, `alias`, `index`, `location` (`=`, `^~`, `~`, `~*` and prefix, chosen
as nginx chooses), `return`, `proxy_pass` to `http://host:port`, `try_files`, `error_page`,
`add_header`, `default_type`, `types`, `log_format` and `access_log`. Other directives are
read and ignored, as a module the stand-in has not would be; a syntax error is reported as
nginx reports it (`[emerg] ... in /etc/nginx/conf.d/x.conf:3`) and stops start-up.
"""

from __future__ import annotations

import glob
import re
from dataclasses import dataclass, field
from pathlib import Path

from kubesim.standins._program import ImageFiles

MAIN_LOG_FORMAT = (
    '$remote_addr - $remote_user [$time_local] "$request" '
    '$status $body_bytes_sent "$http_referer" '
    '"$http_user_agent" "$http_x_forwarded_for"'
)


class ConfError(Exception):
    """A configuration nginx would refuse: the message is nginx's `[emerg]` text."""


@dataclass
class Directive:
    name: str
    args: list[str]
    block: list[Directive] | None
    where: str  # "/etc/nginx/conf.d/default.conf:3"


def _tokens(text: str, filename: str) -> list[tuple[str, int, bool]]:
    """(token, line, quoted) triples."""
    out: list[tuple[str, int, bool]] = []
    i, line, n = 0, 1, len(text)
    while i < n:
        c = text[i]
        if c == "\n":
            line += 1
            i += 1
        elif c.isspace():
            i += 1
        elif c == "#":
            while i < n and text[i] != "\n":
                i += 1
        elif c in ";{}":
            out.append((c, line, False))
            i += 1
        elif c in "\"'":
            j, buf = i + 1, []
            while j < n and text[j] != c:
                if text[j] == "\\" and j + 1 < n:
                    j += 1
                    if text[j] in "\"'\\":
                        buf.append(text[j])
                    elif text[j] in "tnr":  # nginx's three escapes in a quoted string
                        buf.append({"t": "\t", "n": "\n", "r": "\r"}[text[j]])
                    else:
                        buf.append("\\" + text[j])
                else:
                    if text[j] == "\n":
                        line += 1
                    buf.append(text[j])
                j += 1
            if j >= n:
                raise ConfError(
                    f'unexpected end of file, expecting ";" or "}}" in {filename}:{line}'
                )
            out.append(("".join(buf), line, True))
            i = j + 1
        else:
            j = i
            while j < n and not text[j].isspace() and text[j] not in ";{}" and text[j] != "#":
                j += 1
            out.append((text[i:j], line, False))
            i = j
    return out


def parse(text: str, filename: str, files: ImageFiles) -> list[Directive]:
    tokens = _tokens(text, filename)
    pos = 0

    def block(depth: int) -> list[Directive]:
        nonlocal pos
        items: list[Directive] = []
        words: list[str] = []
        first_line = 0
        while pos < len(tokens):
            tok, line, quoted = tokens[pos]
            pos += 1
            if not quoted and tok == ";":
                if not words:
                    raise ConfError(f'unexpected ";" in {filename}:{line}')
                items.extend(_directive(words, None, f"{filename}:{first_line}", files))
                words = []
            elif not quoted and tok == "{":
                if not words:
                    raise ConfError(f'unexpected "{{" in {filename}:{line}')
                where = f"{filename}:{first_line}"
                inner = block(depth + 1)
                items.extend(_directive(words, inner, where, files))
                words = []
            elif not quoted and tok == "}":
                if depth == 0:
                    raise ConfError(f'unexpected "}}" in {filename}:{line}')
                if words:
                    raise ConfError(f'unexpected "}}" in {filename}:{line}')
                return items
            else:
                if not words:
                    first_line = line
                words.append(tok)
        if depth > 0 or words:
            last = tokens[-1][1] if tokens else 1
            raise ConfError(f'unexpected end of file, expecting ";" or "}}" in {filename}:{last}')
        return items

    return block(0)


def _directive(
    words: list[str], inner: list[Directive] | None, where: str, files: ImageFiles
) -> list[Directive]:
    name, args = words[0], words[1:]
    if name == "include" and inner is None:
        if len(args) != 1:
            raise ConfError(f'invalid number of arguments in "include" directive in {where}')
        return include(args[0], files, where)
    return [Directive(name, args, inner, where)]


def include(pattern: str, files: ImageFiles, where: str) -> list[Directive]:
    """`include FILE` or a glob: a missing plain file is an error, an empty glob is not."""
    if not pattern.startswith("/"):
        pattern = "/etc/nginx/" + pattern
    if any(ch in pattern for ch in "*?["):
        folder, _, name = pattern.rpartition("/")
        base = files.path(folder)
        matches = sorted(glob.glob(str(base / name)))
        paths = [(f"{folder}/{Path(m).name}", Path(m)) for m in matches]
    else:
        real = files.path(pattern)
        if not real.is_file():
            raise ConfError(f'open() "{pattern}" failed (2: No such file or directory) in {where}')
        paths = [(pattern, real)]
    found: list[Directive] = []
    for shown, real in paths:
        if real.is_file():
            found.extend(parse(real.read_text(errors="replace"), shown, files))
    return found


@dataclass
class Location:
    modifier: str  # "", "=", "^~", "~", "~*"
    pattern: str
    directives: list[Directive]
    regex: re.Pattern[str] | None = None

    def matches_prefix(self, uri: str) -> bool:
        return self.modifier in ("", "^~") and uri.startswith(self.pattern)


@dataclass
class Server:
    listens: list[tuple[str, int, bool]]  # (address, port, default_server)
    names: list[str]
    directives: list[Directive]
    locations: list[Location] = field(default_factory=list)

    def location(self, uri: str) -> Location | None:
        """nginx's choice: an exact match; else the longest prefix, unless it is `^~`, then
        the regular expressions in order; else that longest prefix."""
        for loc in self.locations:
            if loc.modifier == "=" and loc.pattern == uri:
                return loc
        prefixes = [loc for loc in self.locations if loc.matches_prefix(uri)]
        longest = max(prefixes, key=lambda loc: len(loc.pattern), default=None)
        if longest is not None and longest.modifier == "^~":
            return longest
        for loc in self.locations:
            if loc.regex is not None and loc.regex.search(uri):
                return loc
        return longest


@dataclass
class Http:
    servers: list[Server]
    directives: list[Directive]
    types: dict[str, str]
    log_formats: dict[str, str]


def _listen(d: Directive) -> tuple[str, int, bool]:
    if not d.args:
        raise ConfError(f'invalid number of arguments in "listen" directive in {d.where}')
    spec = d.args[0]
    default = "default_server" in d.args[1:] or "default" in d.args[1:]
    if spec.startswith("["):
        host, _, port = spec[1:].partition("]")
        port = port.lstrip(":") or "80"
        return (host, _port(port, d), default)
    if spec.isdigit():
        return ("*", _port(spec, d), default)
    host, _, port = spec.rpartition(":")
    if not host:
        return (spec, 80, default)
    return (host, _port(port, d), default)


def _port(text: str, d: Directive) -> int:
    if not text.isdigit() or not 0 < int(text) < 65536:
        raise ConfError(f'invalid port in "{d.args[0]}" of the "listen" directive in {d.where}')
    return int(text)


def _types(block: list[Directive]) -> dict[str, str]:
    out: dict[str, str] = {}
    for d in block:
        for ext in d.args:
            out[ext.lower()] = d.name
    return out


def _server(d: Directive) -> Server:
    assert d.block is not None
    listens = [_listen(x) for x in d.block if x.name == "listen"] or [("*", 80, False)]
    names = [n for x in d.block if x.name == "server_name" for n in x.args] or [""]
    server = Server(listens, names, [x for x in d.block if x.name != "location"])
    for x in d.block:
        if x.name == "location":
            server.locations.append(_location(x))
    return server


def _location(d: Directive) -> Location:
    if d.block is None or not d.args:
        raise ConfError(f'invalid number of arguments in "location" directive in {d.where}')
    if len(d.args) == 2:
        modifier, pattern = d.args
    else:
        modifier, pattern = "", d.args[0]
        for mod in ("=", "^~", "~*", "~"):
            if pattern.startswith(mod) and len(pattern) > len(mod):
                modifier, pattern = mod, pattern[len(mod) :]
                break
    if modifier not in ("", "=", "^~", "~", "~*"):
        raise ConfError(f'invalid location modifier "{modifier}" in {d.where}')
    regex = None
    if modifier in ("~", "~*"):
        try:
            regex = re.compile(pattern, re.IGNORECASE if modifier == "~*" else 0)
        except re.error as exc:
            raise ConfError(f'pcre2_compile() failed: {exc} in "{pattern}" in {d.where}') from None
    return Location(modifier, pattern, [x for x in d.block if x.name != "location"], regex)


def load(files: ImageFiles, path: str = "/etc/nginx/nginx.conf") -> tuple[list[Directive], Http]:
    """The main context's directives and the http block's servers."""
    real = files.path(path)
    try:
        text = real.read_text(errors="replace")
    except OSError:
        raise ConfError(f'open() "{path}" failed (2: No such file or directory)') from None
    main = parse(text, path, files)
    http_blocks = [d for d in main if d.name == "http" and d.block is not None]
    directives = [x for h in http_blocks for x in (h.block or [])]
    servers = [_server(x) for x in directives if x.name == "server" and x.block is not None]
    types: dict[str, str] = {}
    formats = {"combined": MAIN_LOG_FORMAT.replace(' "$http_x_forwarded_for"', "")}
    for x in directives:
        if x.name == "types" and x.block is not None:
            types.update(_types(x.block))
        elif x.name == "log_format" and len(x.args) >= 2:
            formats[x.args[0]] = "".join(x.args[1:])
    return main, Http(servers, [x for x in directives if x.name != "server"], types, formats)


def first(directives: list[Directive], name: str) -> Directive | None:
    for d in directives:
        if d.name == name:
            return d
    return None
