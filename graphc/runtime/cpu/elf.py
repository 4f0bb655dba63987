"""The undefined symbols of an ELF64 object file: what it needs linked in before it runs.

Used on the object files prebuilt.py loads, and read as hostile input: every offset and
size is checked against the file, and a file that is not a little-endian ELF64
relocatable object, or does not parse, is refused with ValueError.
"""

from __future__ import annotations

import struct

_HEADER = struct.Struct("<16sHHIQQQIHHHHHH")
_SECTION = struct.Struct("<IIQQQQIIQQ")
_SYMBOL = struct.Struct("<IBBHQQ")
_RELOCATABLE, _SYMTAB = 1, 2


def _slice(data: bytes, offset: int, size: int) -> bytes:
    if offset < 0 or size < 0 or offset + size > len(data):
        raise ValueError("the object file is truncated or its offsets point outside it")
    return data[offset:offset + size]


def _name(table: bytes, offset: int) -> str:
    end = table.find(b"\0", offset)
    if offset >= len(table) or end < 0:
        raise ValueError("a symbol name lies outside its string table")
    return table[offset:end].decode("ascii")


def undefined_symbols(data: bytes) -> list[str]:
    """The names of the symbols `data`, an ELF64 relocatable object, uses but does not
    define, in table order."""
    header = _HEADER.unpack(_slice(data, 0, _HEADER.size))
    ident, kind, shoff, shentsize, shnum = header[0], header[1], header[6], header[11], header[12]
    if ident[:4] != b"\x7fELF" or ident[4] != 2 or ident[5] != 1 or kind != _RELOCATABLE:
        raise ValueError("not a little-endian ELF64 relocatable object")
    if shentsize != _SECTION.size:
        raise ValueError("unexpected section header size")
    sections = [_SECTION.unpack(_slice(data, shoff + i * shentsize, shentsize))
                for i in range(shnum)]
    names: list[str] = []
    for _, kind, _, _, offset, size, link, _, _, entsize in sections:
        if kind != _SYMTAB:
            continue
        if entsize != _SYMBOL.size or link >= len(sections):
            raise ValueError("malformed symbol table")
        strings = _slice(data, sections[link][4], sections[link][5])
        table = _slice(data, offset, size)
        for start in range(0, len(table) - len(table) % entsize, entsize):
            name, _, _, section, _, _ = _SYMBOL.unpack_from(table, start)
            if section == 0 and name:  # SHN_UNDEF, named
                names.append(_name(strings, name))
    return names
