"""Text health: truncation, new vocabulary, unknown and padding tokens (tokenizer failures).

What these catch that the length and token-share scores average away: a pipeline that starts
cutting more sequences at its limit, a tokenizer swap that emits ids the model never saw, an
unknown-token or padding share that moves. Four scores, all on items (sequences) as the unit:

* ``truncation_share``: share of sequences at the longest length seen in the reference (its
  limit, when the reference was truncated). The profile keeps the ``HEALTH_TOP_LENGTHS`` largest
  distinct lengths with their counts (mergeable), so the new batch's sequences at ``>=`` the
  reference's maximum are counted exactly. With ``TaskSpec.pad_token_id`` the length is the
  number of non-padding tokens (a padded batch's rows all have the padded width). Score
  ``|b - a|`` for shares a (reference at its max) -> b (new at >= it); test: the exact
  conditional binomial test of the 2 x 2 table of sequences (given the m sequences at the limit
  on both sides, the reference's count is ``Binomial(m, n_ref / (n_ref + n_new))``), two-sided.
* ``new_vocab_seq_share`` / ``new_vocab_token_share``: share of sequences holding at least one
  token never seen in the reference, and share of tokens never seen. Under no drift a new batch
  still holds rare tokens the reference (a sample) missed, so the share is compared with what
  the reference predicts from itself, leave-one-out (Good-Turing at the item level): ``D`` =
  reference items holding a token no *other* reference item holds (document frequency 1), and
  ``p0 = D / n_ref`` estimates the chance that a fresh item holds a token unseen in ``n_ref - 1``
  items (slightly above the rate for ``n_ref`` items: conservative). The test is one-sided on
  sequences, ``z = (H / n_new - p0) / se`` with ``H`` the new sequences holding an unseen token
  and, after Esty's variance of the Good-Turing estimate carried to items,
  ``se^2 = p0 (1 - p0) / n_new + (D (1 - D / n_ref) + D2) / n_ref^2`` (``D2``: reference items
  outside ``D`` holding a token of document frequency 2); ``p = 1`` when ``H / n_new <= p0``.
  A plain two-proportion test false-alerted 3% at n = 1,000 (the estimate's error is larger than
  a binomial's); with this se, z had sd 0.87-1.00 over 300 no-drift pairs per shape. The token
  share's score is the excess of unseen tokens over the reference's own share of
  document-frequency-1 tokens; tokens cluster within items, so it is not tested token by token:
  it carries the sequence-level test's p-value.
* ``unk_token_share`` / ``pad_token_share`` (when ``TaskSpec`` names the ids): ``|b - a|`` of the
  id's share of all tokens, tested on items like the token shares (:func:`significance.item_share_test`
  on one token, from the per-token sums every ids profile keeps).

What the profile keeps (``health_*`` fields, optional: profiles written before them compare on
the other metrics): the top lengths; every token held by at most ``RARE_DF`` items, with those items and its count
in each ("rare postings": exact, and mergeable because document frequencies add up, and a token
one side lists and the other holds without listing is frequent there; items are numbered by their
content, :func:`canonical_items`, so that ``merge(a, b) == merge(b, a)``); for words profiles that hold more distinct words than
``MAX_KEPT_WORDS``, a bitmap of ``2**20`` bits of the word hashes not listed elsewhere (zlib +
base64 of ``np.packbits``), so that "seen in the reference" stays exact up to ``MAX_KEPT_WORDS``
words plus the rare ones and past that errs toward "seen" with probability at most
``hashed words / 2**20`` (< 1% below 10,000 hashed words).
"""

from __future__ import annotations

import base64
import zlib
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ._evaluation import Evaluation, Pair
from .significance import N_BOOTSTRAP, _special, item_share_test, noise_floor

#: Largest distinct (effective) lengths a profile keeps, with their counts.
HEALTH_TOP_LENGTHS = 32
#: Tokens of at most this document frequency keep their postings (items and counts). Under no
#: drift a token the reference missed is rare in the new data too, but not always held by <= 2
#: items (at n = 1,000 Zipf documents, 88 of 187 unseen tokens were in 3-8 new items).
RARE_DF = 8
#: Bits of the words' vocabulary sketch.
SKETCH_BITS = 1 << 20

HEALTH_FIELDS = ("health_top_lengths", "health_top_counts", "health_pad_id", "health_rare_tokens",
                 "health_rare_df", "health_rare_items", "health_rare_counts", "health_vocab_sketch")


# ----------------------------------------------------------------------------- profiling
def item_of_token(lengths: NDArray[np.int64]) -> NDArray[np.int64]:
    """Item index of each position of the flat token array.

    Examples
    --------
    >>> item_of_token(np.array([2, 0, 1])).tolist()
    [0, 0, 2]
    """
    return np.repeat(np.arange(len(lengths), dtype=np.int64), lengths)


def top_lengths(lengths: NDArray[np.int64], k: int = HEALTH_TOP_LENGTHS) -> tuple[list[int], list[int]]:
    """The ``k`` largest distinct lengths (descending) and how many items have each.

    Examples
    --------
    >>> top_lengths(np.array([5, 512, 3, 512, 7]), k=2)
    ([512, 7], [2, 1])
    """
    vals, counts = np.unique(lengths, return_counts=True)
    return vals[::-1][:k].astype(np.int64).tolist(), counts[::-1][:k].astype(np.int64).tolist()


def rare_postings(codes: NDArray[np.int64], lengths: NDArray[np.int64], max_df: int = RARE_DF,
                  items: NDArray[np.int64] | None = None,
                  ) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]:
    """Tokens (codes) held by at most ``max_df`` items: ``(tokens, df, items, counts)``.

    ``tokens`` ascending with their document frequency ``df``; ``items`` and ``counts`` are flat,
    grouped by token in that order (``df[k]`` entries each, items ascending): the items holding
    the token and its count in each. One sort of the (token, item) keys (``np.unique``).
    ``items``: the item of each code when ``codes`` is a subset of the positions (every position
    of a token it holds must be in it); by default every position, in item order.

    Examples
    --------
    >>> t, df, i, c = rare_postings(np.array([1, 1, 2, 1, 3, 2]), np.array([3, 2, 1]), max_df=1)
    >>> t.tolist(), df.tolist(), i.tolist(), c.tolist()
    ([3], [1], [1], [1])
    """
    e = np.zeros(0, np.int64)
    if len(codes) == 0:
        return e, e, e, e
    n = len(lengths)
    item = item_of_token(lengths) if items is None else items
    key, cnt = np.unique(codes * np.int64(n) + item, return_counts=True)
    tok, item = key // n, key % n
    df = np.bincount(tok)
    keep = df[tok] <= max_df
    tokens = np.flatnonzero((df > 0) & (df <= max_df))
    return tokens.astype(np.int64), df[tokens].astype(np.int64), item[keep].astype(np.int64), cnt[keep].astype(np.int64)


def word_hashes(words: NDArray[np.str_]) -> NDArray[np.uint64]:
    """Stable 64-bit hashes of words (FNV-1a over the UTF-32 code points), vectorised over words.

    Examples
    --------
    >>> h = word_hashes(np.array(["cat", "dog", "cat"]))
    >>> bool(h[0] == h[2]), bool(h[0] != h[1])
    (True, True)
    """
    arr = np.asarray(words, dtype=str)
    if arr.size == 0:
        return np.zeros(0, np.uint64)
    width = max(arr.dtype.itemsize // 4, 1)
    cps = np.ascontiguousarray(arr).view(np.uint32).reshape(len(arr), width).astype(np.uint64)
    h = np.full(len(arr), 0xCBF29CE484222325, np.uint64)
    prime = np.uint64(0x100000001B3)
    with np.errstate(over="ignore"):
        for j in range(width):  # over character positions (a word's length), not over words or tokens
            h = (h ^ cps[:, j]) * prime
    return h


def _mix(x: NDArray[np.uint64]) -> NDArray[np.uint64]:
    """splitmix64's finaliser (a bijection of 64-bit ints that spreads every input bit)."""
    with np.errstate(over="ignore"):
        x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return x ^ (x >> np.uint64(31))


def canonical_items(tokens: NDArray[Any], df: NDArray[np.int64], items: NDArray[np.int64], counts: NDArray[np.int64]
                    ) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Postings' items renumbered 0..k-1 by their content, so that profiles do not depend on item order.

    Item numbers only say which postings share an item; numbering items in the order they came
    would make ``merge(a, b)`` and ``merge(b, a)`` differ. Each item's signature -- the (token,
    count) pairs it holds -- is hashed (a sum of mixed pair hashes: order-free), items are numbered
    in hash order, and each token's items sorted. Items with one signature are interchangeable
    (same postings, same counts), so any order among them gives the same lists.
    """
    if len(items) == 0:
        return items, counts
    th = word_hashes(tokens) if np.asarray(tokens).dtype.kind == "U" else np.asarray(tokens).astype(np.uint64)
    with np.errstate(over="ignore"):
        pair = _mix(_mix(np.repeat(th, df)) + counts.astype(np.uint64))
    order = np.argsort(items, kind="stable")
    uniq, start = np.unique(items[order], return_index=True)
    sig = np.add.reduceat(pair[order], start)  # wraps modulo 2**64: still order-free
    rank = np.empty(len(uniq), np.int64)
    rank[np.lexsort((uniq, sig))] = np.arange(len(uniq))
    new = rank[np.searchsorted(uniq, items)]
    owner = np.repeat(np.arange(len(df)), df)
    flat = np.lexsort((new, owner))
    return new[flat], counts[flat]


def _sketch(words: NDArray[np.str_]) -> str:
    if len(words) == 0:
        return ""
    bits = np.zeros(SKETCH_BITS, bool)
    bits[(word_hashes(words) % np.uint64(SKETCH_BITS)).astype(np.int64)] = True
    return base64.b64encode(zlib.compress(np.packbits(bits).tobytes(), 9)).decode("ascii")


def _sketch_bits(s: str) -> NDArray[np.bool_]:
    raw = np.frombuffer(zlib.decompress(base64.b64decode(s)), np.uint8)
    return np.unpackbits(raw)[:SKETCH_BITS].astype(bool)


def rare_candidates(tokens: NDArray[Any], counts: NDArray[np.int64], sq_counts: NDArray[np.int64],
                    max_df: int = RARE_DF) -> NDArray[Any]:
    """The tokens that may be held by at most ``max_df`` items, from their total count ``c`` and
    sum of squared per-item counts ``q`` (:func:`drift_core.text.token_stats`): by Cauchy-Schwarz
    ``c^2 <= df * q``, so a token with ``c^2 > max_df * q`` is in more than ``max_df`` items.

    Examples
    --------
    >>> rare_candidates(np.array([7, 8]), np.array([4, 9]), np.array([16, 9]), max_df=2).tolist()
    [7]
    """
    c = np.asarray(counts, dtype=np.float64)
    return np.asarray(tokens)[c * c <= max_df * np.asarray(sq_counts, dtype=np.float64) * (1 + 1e-12)]


def profile_health(codes: NDArray[Any], lengths: NDArray[np.int64], values: NDArray[Any] | None,
                   kept: NDArray[Any] | list[Any], pad_id: int | None,
                   candidates: NDArray[Any] | None = None) -> dict[str, Any]:
    """The ``health_*`` fields of a text profile.

    ``codes`` is the flat token array (ids, or codes into ``values`` for words), ``lengths`` the
    per-item lengths, ``kept`` the tokens the profile lists in ``token_values``, ``pad_id`` the
    padding id (ids only) excluded from the lengths used for truncation. ``candidates``: the codes
    that may be rare (:func:`rare_candidates`); only their positions are sorted for the postings
    (the frequent tokens of a Zipf vocabulary hold most positions).
    """
    codes = np.asarray(codes)
    ends = np.cumsum(lengths)
    eff = lengths
    if pad_id is not None and values is None and len(codes):
        pad_items = np.searchsorted(ends, np.flatnonzero(codes == pad_id), side="right")
        eff = lengths - np.bincount(pad_items, minlength=len(lengths))
    tl, tc = top_lengths(eff)
    items: NDArray[np.int64] | None = None
    if candidates is not None and len(codes):
        pos = np.flatnonzero(np.isin(codes, candidates))
        items = np.searchsorted(ends, pos, side="right").astype(np.int64)
        codes = codes[pos]
    codes = codes.astype(np.int64, copy=False)
    ids = None
    if values is None and len(codes) and int(codes.max()) >= max(1 << 20, 4 * len(codes)):
        ids, codes = np.unique(codes, return_inverse=True)  # sparse ids: number the distinct ones
        codes = codes.astype(np.int64).ravel()
    tok, df, items, counts = rare_postings(codes, lengths, items=items)
    if ids is not None:
        tok = ids[tok]
    sketch = ""
    tok_out: list[Any] = tok.tolist()
    if values is not None:
        words = np.asarray(values)
        listed = np.zeros(len(words), bool)
        listed[tok] = True
        listed |= isin(words, np.asarray(kept, dtype=str))
        sketch = _sketch(words[~listed])
        tok_out, df, items, counts = _sorted_postings(words[tok], df, items, counts)
    items, counts = canonical_items(np.asarray(tok_out, dtype=str if values is not None else np.int64), df, items, counts)
    return {
        "health_top_lengths": tl,
        "health_top_counts": tc,
        "health_pad_id": pad_id if values is None else None,
        "health_rare_tokens": tok_out,
        "health_rare_df": df.tolist(),
        "health_rare_items": items.tolist(),
        "health_rare_counts": counts.tolist(),
        "health_vocab_sketch": sketch,
    }


def _sorted_postings(tokens: NDArray[Any], df: NDArray[np.int64], items: NDArray[np.int64], counts: NDArray[np.int64]
                     ) -> tuple[list[Any], NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]:
    """Postings reordered by token (words), entries by item within a token."""
    owner = np.repeat(np.arange(len(tokens)), df)
    rank = np.empty(len(tokens), np.int64)
    order = np.argsort(tokens, kind="stable")
    rank[order] = np.arange(len(tokens))
    flat = np.lexsort((items, rank[owner]))
    return tokens[order].tolist(), df[order], items[flat], counts[flat]


# ----------------------------------------------------------------------------- vocabulary
def _tokens(p: dict[str, Any], key: str) -> NDArray[Any]:
    return np.asarray(p[key], dtype=np.int64 if p["token_kind"] == "ids" else str)


def isin(values: NDArray[Any], test: NDArray[Any]) -> NDArray[np.bool_]:
    """``np.isin(values, test)``; for words by a Python set (``np.isin`` sorts both string arrays:
    about twice as slow at a few thousand words). ``tolist`` drops trailing NULs as numpy's string
    comparison ignores them, so the two agree.

    Examples
    --------
    >>> isin(np.array(["a", "b", "c"]), np.array(["c", "a"])).tolist()
    [True, False, True]
    """
    if values.dtype.kind == "U" and test.dtype.kind == "U":
        pool = set(test.tolist())
        return np.fromiter((v in pool for v in values.tolist()), dtype=bool, count=len(values))
    return np.isin(values, test)


def seen(p: dict[str, Any], tokens: NDArray[Any]) -> NDArray[np.bool_]:
    """Whether each token is in profile ``p``'s vocabulary (listed, rare, or in its words sketch)."""
    if len(tokens) == 0:
        return np.zeros(0, bool)
    out = isin(tokens, _tokens(p, "token_values")) | isin(tokens, _tokens(p, "health_rare_tokens"))
    if p.get("health_vocab_sketch"):
        bits = _sketch_bits(p["health_vocab_sketch"])
        out |= bits[(word_hashes(tokens) % np.uint64(SKETCH_BITS)).astype(np.int64)]
    return out


# ----------------------------------------------------------------------------- merging
def merge_health(a: dict[str, Any], b: dict[str, Any], kept: list[Any]) -> dict[str, Any]:
    """The ``health_*`` fields of ``merge(a, b)`` (``kept``: the merged ``token_values``); ``{}``
    when either side lacks them (a profile written before them)."""
    if not all(k in p for p in (a, b) for k in HEALTH_FIELDS):
        return {}
    if a["health_pad_id"] != b["health_pad_id"]:
        raise ValueError(f"cannot merge text profiles whose lengths exclude different padding ids "
                         f"({a['health_pad_id']} vs {b['health_pad_id']}): profile both with the same pad_token_id")
    lengths = np.concatenate([a["health_top_lengths"], b["health_top_lengths"]]).astype(np.int64)
    counts = np.concatenate([a["health_top_counts"], b["health_top_counts"]]).astype(np.int64)
    uniq, inv = np.unique(lengths, return_inverse=True)
    summed = np.bincount(inv, weights=counts, minlength=len(uniq)).astype(np.int64)
    tl, tc = uniq[::-1][:HEALTH_TOP_LENGTHS].tolist(), summed[::-1][:HEALTH_TOP_LENGTHS].tolist()

    n_a = a["n_samples"]
    tokens, df, items, counts = _merge_postings(a, b, n_a)
    items, counts = canonical_items(np.asarray(tokens, dtype=str if a["token_kind"] == "words" else np.int64), df,
                                    items, counts)
    sketch = ""
    if a["token_kind"] == "words":
        union = np.union1d(_tokens(a, "token_values"), _tokens(b, "token_values"))
        dropped = union[~isin(union, np.asarray(kept, dtype=str)) & ~isin(union, np.asarray(tokens, dtype=str))]
        parts = [s for s in (a["health_vocab_sketch"], b["health_vocab_sketch"], _sketch(dropped)) if s]
        if parts:
            bits = np.zeros(SKETCH_BITS, bool)
            for s in parts:
                bits |= _sketch_bits(s)
            sketch = base64.b64encode(zlib.compress(np.packbits(bits).tobytes(), 9)).decode("ascii")
    return {
        "health_top_lengths": tl,
        "health_top_counts": tc,
        "health_pad_id": a["health_pad_id"],
        "health_rare_tokens": tokens,
        "health_rare_df": df.tolist(),
        "health_rare_items": items.tolist(),
        "health_rare_counts": counts.tolist(),
        "health_vocab_sketch": sketch,
    }


def _postings(p: dict[str, Any]) -> tuple[NDArray[Any], NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]:
    return (_tokens(p, "health_rare_tokens"), np.asarray(p["health_rare_df"], np.int64),
            np.asarray(p["health_rare_items"], np.int64), np.asarray(p["health_rare_counts"], np.int64))


def _merge_postings(a: dict[str, Any], b: dict[str, Any], n_a: int) -> tuple[list[Any], NDArray[np.int64],
                                                                             NDArray[np.int64], NDArray[np.int64]]:
    """Postings of the merged profile: a token stays rare when its document frequencies add up to
    <= RARE_DF; a token one side lists as rare and the other has but does not list is frequent there."""
    ta, da, ia, ca = _postings(a)
    tb, db, ib, cb = _postings(b)
    ok_a = isin(ta, tb) | ~seen(b, ta)  # rare on b's side too, or absent from b
    ok_b = isin(tb, ta) | ~seen(a, tb)
    tokens = np.concatenate([ta, tb])
    dfs = np.concatenate([da, db])
    ok = np.concatenate([ok_a, ok_b])
    owner_tok = np.repeat(tokens, dfs)
    items = np.concatenate([ia, ib + n_a])
    counts = np.concatenate([ca, cb])
    uniq, inv = np.unique(tokens, return_inverse=True)
    inv = inv.ravel()
    total = np.bincount(inv, weights=dfs, minlength=len(uniq)).astype(np.int64)
    fine = np.bincount(inv, weights=~ok, minlength=len(uniq)) == 0
    keep = fine & (total <= RARE_DF)
    pos = np.searchsorted(uniq, owner_tok)
    entry = keep[pos]
    flat = np.lexsort((items[entry], pos[entry]))
    return uniq[keep].tolist(), total[keep], items[entry][flat], counts[entry][flat]


def validate_health(p: dict[str, Any]) -> None:
    """Check the ``health_*`` fields of a text profile when present (all or none)."""
    present = [k for k in HEALTH_FIELDS if k in p]
    if not present:
        return
    if len(present) != len(HEALTH_FIELDS):
        missing = sorted(set(HEALTH_FIELDS) - set(present))
        raise ValueError(f"text-health fields are incomplete: missing {missing}")
    tl, tc = p["health_top_lengths"], p["health_top_counts"]
    if not isinstance(tl, list) or not isinstance(tc, list) or len(tl) != len(tc) or not tl or len(tl) > HEALTH_TOP_LENGTHS:
        raise ValueError(f"fields 'health_top_lengths' / 'health_top_counts' must be equal-length lists of 1 to "
                         f"{HEALTH_TOP_LENGTHS} ints")
    a, c = np.asarray(tl), np.asarray(tc)
    if a.dtype.kind not in "iu" or c.dtype.kind not in "iu" or (np.diff(a) >= 0).any() or a.min() < 0 or c.min() < 1:
        raise ValueError("field 'health_top_lengths' must hold distinct lengths >= 0, descending, with counts >= 1")
    if c.sum() > p["n_samples"]:
        raise ValueError("field 'health_top_counts' counts more sequences than n_samples")
    pad = p["health_pad_id"]
    if pad is not None and (isinstance(pad, bool) or not isinstance(pad, int) or pad < 0):
        raise ValueError(f"field 'health_pad_id' must be null or an int >= 0, got {pad!r}")
    toks, df, items, counts = (p[k] for k in ("health_rare_tokens", "health_rare_df", "health_rare_items",
                                                "health_rare_counts"))
    if not all(isinstance(x, list) for x in (toks, df, items, counts)) or len(toks) != len(df) \
            or len(items) != len(counts):
        raise ValueError("fields 'health_rare_*' must be lists: tokens and df of one length, items and counts of another")
    if toks:
        t, d, it, ct = np.asarray(toks), np.asarray(df), np.asarray(items), np.asarray(counts)
        want = "iu" if p["token_kind"] == "ids" else "U"
        if t.ndim != 1 or t.dtype.kind not in want:
            raise ValueError(f"field 'health_rare_tokens' must hold {'int' if want == 'iu' else 'str'} tokens")
        if d.dtype.kind not in "iu" or d.min() < 1 or d.max() > RARE_DF or int(d.sum()) != len(items):
            raise ValueError(f"field 'health_rare_df' must hold ints in [1, {RARE_DF}] adding up to len(health_rare_items)")
        if it.ndim != 1 or ct.ndim != 1 or it.dtype.kind not in "iu" or ct.dtype.kind not in "iu" or it.min() < 0 \
                or it.max() >= p["n_samples"] or ct.min() < 1:
            raise ValueError("field 'health_rare_items' must hold items in [0, n_samples), 'health_rare_counts' counts >= 1")
    elif items:
        raise ValueError("fields 'health_rare_items' / 'health_rare_counts' must be empty without rare tokens")
    if not isinstance(p["health_vocab_sketch"], str):
        raise ValueError("field 'health_vocab_sketch' must be a string (base64), possibly empty")


# ----------------------------------------------------------------------------- comparing
def has_health(ref: dict[str, Any], new: dict[str, Any]) -> bool:
    """Both text profiles carry the ``health_*`` fields (written by this version)."""
    return all(k in p for p in (ref, new) for k in HEALTH_FIELDS)


def named_id(ref: dict[str, Any], new: dict[str, Any], key: str) -> int | None:
    """The ``unk_token_id`` / ``pad_token_id`` the profiles' tasks name (either side; ids profiles only)."""
    ids = {p.get("task", {}).get(key) for p in (ref, new)} - {None}
    if ref.get("token_kind") != "ids" or new.get("token_kind") != "ids" or not ids:
        return None
    if len(ids) > 1:
        raise ValueError(f"the reference and the new profile name different {key}s ({sorted(ids)}): "
                         "profile both with the same id")
    return int(ids.pop())


def _exact_two_sided(k: int, m: int, share: float) -> float:
    """Two-sided exact conditional binomial p of k of m items on the reference side."""
    if m == 0:
        return 1.0
    sp = _special()
    lower = float(sp.bdtr(k, m, share))
    upper = float(sp.bdtrc(k - 1, m, share)) if k >= 1 else 1.0
    return float(min(1.0, 2 * min(lower, upper)))


def _binomial_floor(a: float, n_a: int, b: float, n_b: int, rng: np.random.Generator) -> float:
    """99th percentile of ``|share_b - share_a|`` over binomial draws from the pooled share."""
    pooled = (a * n_a + b * n_b) / max(n_a + n_b, 1)
    return noise_floor(np.abs(rng.binomial(n_b, pooled, N_BOOTSTRAP) / n_b - rng.binomial(n_a, pooled, N_BOOTSTRAP) / n_a))


def truncation_counts(ref: dict[str, Any], new: dict[str, Any]) -> tuple[int, int, int, bool]:
    """``(limit, ref count at it, new count at >= it, exact)``; ``exact`` is False when the new
    profile's kept top lengths all lie above the limit (its count is then a lower bound)."""
    if ref["health_pad_id"] != new["health_pad_id"]:
        raise ValueError(f"truncation: the reference counts lengths without padding id {ref['health_pad_id']}, the new "
                         f"profile without {new['health_pad_id']}: profile both with the same pad_token_id")
    limit = int(ref["health_top_lengths"][0])
    nl, nc = np.asarray(new["health_top_lengths"]), np.asarray(new["health_top_counts"])
    exact = bool(nl[-1] < limit or nc.sum() == new["n_samples"])
    return limit, int(ref["health_top_counts"][0]), int(nc[nl >= limit].sum()), exact


def truncation_share(pair: Pair) -> Evaluation:
    """``truncation_share``: ``|b - a|``, the change in the share of sequences at the reference's longest length."""
    ref, new = pair.ref, pair.new
    limit, cr, cn, exact = truncation_counts(ref, new)
    nr, nn = ref["n_samples"], new["n_samples"]
    a, b = cr / nr, cn / nn
    p = _exact_two_sided(cr, cr + cn, nr / (nr + nn))
    what = "non-padding " if ref["health_pad_id"] is not None else ""
    summary = f"sequences at the {limit}-{what}token limit: {a:.1%} -> {'at least ' if not exact else ''}{b:.1%}"
    return Evaluation("truncation_share", float(abs(b - a)), summary, p,
                      pair.floor("truncation_share", lambda rng: _binomial_floor(a, nr, b, nn, rng)), nr, nn)


class NewVocab:
    """The new-vocabulary counts of one comparison (:func:`new_vocabulary`)."""

    def __init__(self, ref: dict[str, Any], new: dict[str, Any]) -> None:
        if ref["token_kind"] != new["token_kind"]:
            raise ValueError(f"cannot compare a {ref['token_kind']!r} text profile with a {new['token_kind']!r} one")
        self.n_ref, self.n_new = ref["n_samples"], new["n_samples"]
        # reference, leave-one-out: items holding a token of document frequency 1 (D), and items
        # outside those holding one of document frequency 2 (D2)
        _, df, items, counts = _postings(ref)
        owner_df = np.repeat(df, df)
        in_d = np.zeros(self.n_ref, bool)
        in_d[items[owner_df == 1]] = True
        in_d2 = np.zeros(self.n_ref, bool)
        in_d2[items[owner_df == 2]] = True
        self.d, self.d2 = int(in_d.sum()), int((in_d2 & ~in_d).sum())
        self.ref_token_share = float(counts[owner_df == 1].sum()) / max(ref["n_tokens"], 1)
        # new side: tokens the reference never saw
        toks = _tokens(new, "token_values")
        unseen = ~seen(ref, toks)
        rt, rdf, r_items, r_counts = _postings(new)
        r_unseen = np.repeat(~seen(ref, rt), rdf)
        listed = np.repeat(isin(rt, toks), rdf)  # a rare token also in token_values: counted once
        n_unseen = float(np.asarray(new["token_counts"], np.float64)[unseen].sum()) + float(r_counts[r_unseen & ~listed].sum())
        self.new_token_share = n_unseen / max(new["n_tokens"], 1)
        hit = np.zeros(self.n_new, bool)
        hit[r_items[r_unseen]] = True
        # tokens the postings do not cover (held by > RARE_DF new items): their items are not kept, but
        # sum_i w_i s_i <= #items holding them, and so is RARE_DF + 1: lower bounds (a conservative test)
        bound = float(np.asarray(new["token_share_sums"], np.float64)[unseen].sum())
        frequent = unseen[~isin(toks, rt)].any()  # an unseen token more than RARE_DF new items hold
        self.h = min(self.n_new, max(int(hit.sum()), int(np.floor(bound + 1e-9)), (RARE_DF + 1) * bool(frequent)))
        self.exact = not frequent

    @property
    def expected(self) -> float:
        return self.d / self.n_ref

    @property
    def observed(self) -> float:
        return self.h / self.n_new

    def p_value(self) -> float:
        """One-sided: more new sequences with unseen tokens than the reference's leave-one-out rate."""
        p0, nr, nn = self.expected, self.n_ref, self.n_new
        if self.observed <= p0:
            return 1.0
        v0 = max(p0, 1.0 / (nr + 1))  # a reference that saw its whole vocabulary still has some uncertainty
        se2 = v0 * (1 - v0) / nn + (max(self.d, 1) * (1 - self.d / nr) + self.d2) / nr**2
        return float(_special().ndtr(-(self.observed - p0) / np.sqrt(se2)))

    def floor(self, rng: np.random.Generator, scale: float = 1.0) -> float:
        """99th percentile of the (sequence) excess under no drift, from the normal approximation."""
        p0, nr, nn = self.expected, self.n_ref, self.n_new
        se2 = p0 * (1 - p0) / nn + (self.d * (1 - self.d / nr) + self.d2) / nr**2
        return float(max(0.0, noise_floor(np.sqrt(se2) * rng.standard_normal(N_BOOTSTRAP)) * scale))


def new_vocabulary(pair: Pair) -> NewVocab:
    """The comparison's :class:`NewVocab` (built once)."""
    return pair.memo("new_vocab", lambda: NewVocab(pair.ref, pair.new))


def new_vocab_seq_share(pair: Pair) -> Evaluation:
    """``new_vocab_seq_share``: excess share of new sequences holding a token never seen in the reference."""
    nv = new_vocabulary(pair)
    at_least = "" if nv.exact else "at least "
    summary = (f"sequences with a token never seen in the reference: {at_least}{nv.observed:.1%} "
               f"({nv.expected:.1%} expected from the reference's own rare tokens)")
    return Evaluation("new_vocab_seq_share", max(0.0, nv.observed - nv.expected), summary, nv.p_value(),
                      pair.floor("new_vocab_seq_share", nv.floor), nv.n_ref, nv.n_new)


def new_vocab_token_share(pair: Pair) -> Evaluation:
    """``new_vocab_token_share``: excess share of new tokens never seen in the reference (tested on sequences)."""
    nv = new_vocabulary(pair)
    summary = (f"tokens never seen in the reference: {nv.new_token_share:.2%} "
               f"({nv.ref_token_share:.2%} expected from the reference's own rare tokens)")
    scale = nv.new_token_share / nv.observed if nv.observed > 0 else 0.0
    return Evaluation("new_vocab_token_share", max(0.0, nv.new_token_share - nv.ref_token_share), summary,
                      nv.p_value(), pair.floor("new_vocab_token_share", lambda rng: nv.floor(rng, scale)), nv.n_ref,
                      nv.n_new)


def _id_stats(p: dict[str, Any], token: int) -> tuple[float, float, float, float]:
    """(count, sum w s, sum (w s)^2, sum w^2 s) of one id in an ids profile (zeros when absent)."""
    vals = np.asarray(p["token_values"], np.int64)
    pos = int(np.searchsorted(vals, token))
    if pos >= len(vals) or vals[pos] != token:
        return 0.0, 0.0, 0.0, 0.0
    return (float(p["token_counts"][pos]), float(p["token_share_sums"][pos]), float(p["token_share_sumsqs"][pos]),
            float(p["token_share_cross"][pos]))


def _special_share(pair: Pair, name: str, key: str, word: str) -> Evaluation:
    ref, new = pair.ref, pair.new
    token = named_id(ref, new, key)
    assert token is not None
    cr, s1r, s2r, xr = _id_stats(ref, token)
    cn, s1n, s2n, xn = _id_stats(new, token)
    a, b = cr / max(ref["n_tokens"], 1), cn / max(new["n_tokens"], 1)
    wr, w2r, wn, w2n = ref["seq_weight_sum"], ref["seq_weight_sumsq"], new["seq_weight_sum"], new["seq_weight_sumsq"]
    p = 1.0
    if wr > 0 and wn > 0 and ref["n_nonempty"] >= 2 and new["n_nonempty"] >= 2 and (s1r / wr != s1n / wn):
        m = (s1r + s1n) / (wr + wn)
        sigma2 = max(s2r + s2n - 2 * m * (xr + xn) + m * m * (w2r + w2n), 0.0) / (w2r + w2n)
        se2 = sigma2 * (w2r / wr**2 + w2n / wn**2)
        p = item_share_test(np.array([s1r / wr - s1n / wn]), np.array([se2]), wr * wr / w2r + wn * wn / w2n - 2)
    pooled = (cr + cn) / max(ref["n_tokens"] + new["n_tokens"], 1)
    # noise floor: the item-level standard error of the share difference, as a normal
    se = np.sqrt(max(pooled * (1 - pooled), 0.0) * (w2r / max(wr, 1e-12) ** 2 + w2n / max(wn, 1e-12) ** 2))
    floor = pair.floor(name, lambda rng: noise_floor(np.abs(se * rng.standard_normal(N_BOOTSTRAP))))
    summary = f"{word} tokens (id {token}): {a:.2%} -> {b:.2%} of tokens"
    return Evaluation(name, float(abs(b - a)), summary, float(p), floor, ref["n_samples"], new["n_samples"])


def unk_token_share(pair: Pair) -> Evaluation:
    """``unk_token_share``: ``|b - a|`` of the unknown-token id's share of all tokens."""
    return _special_share(pair, "unk_token_share", "unk_token_id", "unknown")


def pad_token_share(pair: Pair) -> Evaluation:
    """``pad_token_share``: ``|b - a|`` of the padding id's share of all tokens."""
    return _special_share(pair, "pad_token_share", "pad_token_id", "padding")


# ----------------------------------------------------------------------------- for charts
def health_rows(ref: dict[str, Any], new: dict[str, Any]) -> list[dict[str, Any]]:
    """The shares behind each text-health score, for a chart: ``{"metric", "what", "ref", "new",
    "expected"}`` (fractions; ``expected`` is the new share the reference predicts, or ``None``).
    ``[]`` when the profiles lack the health fields.

    Examples
    --------
    >>> from drift_core import TaskSpec, compute_dataset_profile
    >>> p = compute_dataset_profile([{"input_ids": [1, 2]}, {"input_ids": [3]}], TaskSpec("text"))
    >>> [(r["metric"], r["ref"], r["new"]) for r in health_rows(p, p)][0]
    ('truncation_share', 0.5, 0.5)
    """
    if not (ref.get("modality") == new.get("modality") == "text" and has_health(ref, new)):
        return []
    limit, cr, cn, _ = truncation_counts(ref, new)
    nv = NewVocab(ref, new)
    rows = [
        {"metric": "truncation_share", "what": f"sequences at the {limit}-token limit",
         "ref": cr / ref["n_samples"], "new": cn / new["n_samples"], "expected": None},
        {"metric": "new_vocab_seq_share", "what": "sequences with a token never seen in the reference",
         "ref": 0.0, "new": nv.observed, "expected": nv.expected},
        {"metric": "new_vocab_token_share", "what": "tokens never seen in the reference",
         "ref": 0.0, "new": nv.new_token_share, "expected": nv.ref_token_share},
    ]
    for key, metric, word in (("unk_token_id", "unk_token_share", "unknown"), ("pad_token_id", "pad_token_share", "padding")):
        token = named_id(ref, new, key)
        if token is not None:
            rows.append({"metric": metric, "what": f"{word} tokens (id {token})",
                         "ref": _id_stats(ref, token)[0] / max(ref["n_tokens"], 1),
                         "new": _id_stats(new, token)[0] / max(new["n_tokens"], 1), "expected": None})
    return rows
