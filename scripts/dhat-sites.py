#!/usr/bin/env python3
"""Allocation sites whose block counts differ between two DHAT runs of the same binary, per
request: `dhat-sites.py WITHOUT.json WITH.json REQUESTS [TOP]` (scripts/count-per-request.sh,
TOP=n). A site is the first few frames below the allocator's own (malloc, alloc::, RawVec...)."""
import collections
import json
import re
import sys

SKIP = re.compile(
    r"^(\?\?\?|malloc|calloc|realloc|memalign|posix_memalign|__rust_\w*|alloc|alloc_impl\w*|"
    r"allocate\w*|do_alloc|to_vec\w*|to_owned\w*|clone\w*|new\w*|with_capacity\w*|from\w*|"
    r"reserve\w*|grow\w*|push\w*|insert\w*|into\w*|finish_grow\w*|resize\w*|"
    r"[^ ]*(alloc::|RawVec|hashbrown::|vg_replace|core::ptr::)[^ ]*)( |<|$)"
)


def sites(path, depth):
    data = json.load(open(path))
    table = data["ftbl"]
    counts = collections.Counter()
    for pp in data["pps"]:
        frames = [re.sub(r"^0x[0-9A-Fa-f]+: ", "", table[i]) for i in pp["fs"]]
        frames = [re.sub(r" \(in .*\)$| \([^()]*:\d+\)$", "", f) for f in frames]
        ours = [f for f in frames if not SKIP.search(f)]
        # The first frames past the allocator, and the first of the aggregator's own below them.
        site = ours[:depth]
        own = next((f for f in ours[depth:] if "usage_aggregator" in f), None)
        if own:
            site.append("... " + own)
        counts[" <- ".join(site)] += pp["tbk"]
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
