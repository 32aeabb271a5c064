#!/usr/bin/env python3
"""Fails when an import in src/ points the wrong way, or when files import each other in a circle.

Layers, top to bottom: lib.rs, main.rs and cli/ (may use everything); web/; domain/; db/; and the base
(config.rs, keys.rs, infra/), which imports from none of them. A module may use its own ancestors
(`super::`); any other circle between files is refused.
"""
import os
import re
import sys

SRC = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src")
RANK = {"cli": 5, "lib": 5, "main": 5, "web": 4, "domain": 3, "db": 2, "config": 1, "keys": 1, "infra": 1}


def module_of(path):
    rel = os.path.relpath(path, SRC)[:-3].split(os.sep)
    if rel[-1] == "mod":
        rel = rel[:-1]
    return [] if rel in (["lib"], ["main"]) else rel


def file_of(parts):
    """The deepest source file along `parts` (a module path without `crate`)."""
    best = os.path.join(SRC, "lib.rs")
    for i in range(1, len(parts) + 1):
        base = os.path.join(SRC, *parts[:i])
        for cand in (base + ".rs", os.path.join(base, "mod.rs")):
            if os.path.exists(cand):
                best = cand
                break
        else:
            break
    return best


def layer(path):
    top = os.path.relpath(path, SRC).split(os.sep)[0]
    return top[:-3] if top.endswith(".rs") else top


PATH = re.compile(r"\b(crate|super|self)((?:::\w+)+)(::\{([^;]*?)\})?")


def targets(path, text):
    here = module_of(path)
    # Strip comments and string literals, roughly: enough for import paths.
    text = re.sub(r"//[^\n]*", "", text)
    text = re.sub(r'"(?:\\.|[^"\\])*"', '""', text)
    for m in PATH.finditer(text):
        head, tail = m.group(1), [p for p in m.group(2).split("::") if p]
        if head == "crate":
            base = []
        elif head == "self":
            base = here
        else:
            base = here[:-1]
            while tail and tail[0] == "super":
                base, tail = base[:-1], tail[1:]
        lists = [base + tail]
        if m.group(4):
            for item in m.group(4).split(","):
                item = item.strip().split(" as ")[0]
                if item and item != "self":
                    lists.append(base + tail + [p for p in item.split("::") if p and p != "{"])
        for parts in lists:
            yield file_of(parts)


def main():
    files = [os.path.join(d, f) for d, _, fs in os.walk(SRC) for f in fs if f.endswith(".rs")]
    edges, wrong = {}, []
    for path in files:
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
        text = text.split("#[cfg(test)]\nmod tests")[0]
        for target in set(targets(path, text)):
            if target == path:
                continue
            name = os.path.basename(target)
            t_dir = os.path.dirname(target) if name in ("mod.rs", "lib.rs") else target[:-3]
            if path.startswith(t_dir + os.sep):
                continue  # a module using its ancestor
            edges.setdefault(path, set()).add(target)
            a, b = RANK.get(layer(path), 0), RANK.get(layer(target), 0)
            if b > a:
                wrong.append(f"{rel(path)} ({layer(path)}) imports {rel(target)} ({layer(target)})")
    cycles = find_cycles(edges)
    for w in sorted(set(wrong)):
        print("layer:", w)
    for c in cycles:
        print("circle among:", ", ".join(rel(p) for p in c))
    if wrong or cycles:
        print(f"{len(set(wrong))} import(s) against the layers, {len(cycles)} circle(s)", file=sys.stderr)
        return 1
    print(f"layers: {len(files)} files, {sum(len(v) for v in edges.values())} imports, all pointing down; no circle")
    return 0


def rel(p):
    return os.path.relpath(p, SRC)


def find_cycles(edges):
    """Strongly connected components of more than one file (Tarjan)."""
    index, low, stack, on, out, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in edges.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    sys.setrecursionlimit(10000)
    for v in list(edges):
        if v not in index:
            visit(v)
    return out


if __name__ == "__main__":
    sys.exit(main())
