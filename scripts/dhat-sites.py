#!/usr/bin/env python3
"""Allocation sites whose block counts differ between two DHAT runs of the same binary, per
request: `dhat-sites.py WITHOUT.json WITH.json REQUESTS [TOP]` (scripts/count-per-request.sh,
TOP=n). A site is the first few frames below the allocator's own (malloc, alloc::, RawVec...)."""
import collections
import json
import re
import sys

SKIP = re.compile(
    r"(malloc|calloc|realloc|__rust_|alloc::alloc|alloc::raw_vec|RawVec|alloc::vec::|"
    r"alloc::string::|alloc::boxed::|<alloc::|alloc::sync::Arc|hashbrown::raw|vg_replace)"
)


def sites(path, depth):
    data = json.load(open(path))
    table = data["ftbl"]
    counts = collections.Counter()
    for pp in data["pps"]:
        frames = [re.sub(r"^0x[0-9A-Fa-f]+: ", "", table[i]) for i in pp["fs"]]
        frames = [re.sub(r" \(in .*\)$| \([^()]*:\d+\)$", "", f) for f in frames]
        ours = [f for f in frames if not SKIP.search(f)]
        counts[" <- ".join(ours[:depth])] += pp["tb"]
    return counts


def main():
    without, with_, requests = sys.argv[1], sys.argv[2], int(sys.argv[3])
    top = int(sys.argv[4]) if len(sys.argv) > 4 else 15
    depth = 3
    a, b = sites(without, depth), sites(with_, depth)
    diff = {k: b.get(k, 0) - a.get(k, 0) for k in set(a) | set(b)}
    for site, blocks in sorted(diff.items(), key=lambda kv: -kv[1])[:top]:
        print(f"    {blocks / requests:6.2f}  {site[:300]}")


main()
