"""Text: profile token sequences (lengths, token frequencies) and compare two text profiles.

Items carry token ids (``input_ids``: non-negative ints) or raw ``text`` (split by
:func:`drift_core.tokenize.words`). A dataset holds one kind; so does a comparison.

Everything runs on flat token arrays plus per-item lengths (an Arrow column chunk by chunk, its
int32 ids as they are): ``np.diff`` of offsets gives lengths, and one sort of (token, item) keys
per chunk followed by ``np.add.reduceat`` over the runs gives each token's count and the
clustering statistics the significance tests need (tokens cluster within items).
"""

from __future__ import annotations

from itertools import chain
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import NDArray

from . import _inputs, text_health
from ._evaluation import Bins, Evaluation, HistogramComparison, Pair, compare_histograms
from ._validate import InputError, InputTypeError
from .divergence import js_distance, kl_bits
from .histograms import coarsen, count_lengths, group_spans, length_edges, n_coarse_bins, shared_groups
from .schema import MAX_KEPT_WORDS, TOP_K, validate_profile
from .significance import (
    N_BOOTSTRAP,
    design_effects,
    empirical_p,
    item_share_test,
    noise_floor,
    overdispersed_counts,
)
from .spec import TaskSpec
from .tokenize import words


class Piece(NamedTuple):
    """Consecutive items' token codes (checked integer ids of any int dtype), lengths and largest code."""

    codes: NDArray[Any]
    lengths: NDArray[np.int64]
    top: int


_CHUNK_TOKENS = 1 << 18  # tokens per chunk of the per-token statistics (cache-sized keys)


# ----------------------------------------------------------------------------- reading items
def _bad_item(index: NDArray[np.int64], lengths: NDArray[np.int64], flat_pos: int) -> int:
    """Original index of the item holding flat token position ``flat_pos``."""
    ends = np.cumsum(lengths)
    return int(index[int(np.searchsorted(ends, flat_pos, side="right"))])


#: Ids below this are counted on arrays indexed by the id itself (fast); sparser ids are numbered first.
_DENSE_IDS = 2**20
#: Largest token id: int64's range; 2**53 for ids that arrive as floats (Python lists), above which
#: a float64 no longer holds every integer.
_MAX_INT_ID = 2**63 - 1
_MAX_FLOAT_ID = 2**53


def _check_ids(flat: NDArray[Any], lengths: NDArray[np.int64], index: NDArray[np.int64]) -> tuple[NDArray[Any], int]:
    """``(codes, largest id)``: the ids checked (integers, >= 0, within range), as integers.

    Integer ids keep their dtype (int32 ids stay int32: no widening copy); one ``min`` and one
    ``max`` pass decide, and only a failing check looks for the offending item.
    """
    if flat.dtype.kind == "f":
        bad = np.flatnonzero(~np.isfinite(flat) | (flat != np.floor(flat)))
        if len(bad):
            i = _bad_item(index, lengths, int(bad[0]))
            raise InputError(i, "input_ids", f"holds a non-integer token id {flat[bad[0]].item()!r}")
    elif flat.dtype.kind not in "iub" and len(flat):
        raise TypeError(f"'input_ids' must hold integers, got dtype {flat.dtype}")
    if not len(flat):
        return flat.astype(np.int64), -1
    if flat.dtype.kind != "u" and flat.min() < 0:
        neg = np.flatnonzero(flat < 0)
        i = _bad_item(index, lengths, int(neg[0]))
        raise InputError(i, "input_ids", f"holds a negative token id {int(flat[neg[0]])}")
    # Before any cast to int64: a uint64 id >= 2**63 would wrap, a float one above 2**53 (Python
    # ints of lists are read as float64) would be rounded or wrap to a wrong id.
    top = _MAX_FLOAT_ID if flat.dtype.kind == "f" else _MAX_INT_ID
    hi = flat.max()
    if hi > top:
        over = np.flatnonzero(flat > top)
        i = _bad_item(index, lengths, int(over[0]))
        v = flat[over[0]].item()
        shown = int(v) if isinstance(v, float) else v
        raise InputError(i, "input_ids", f"holds token id {shown}, above the largest supported id {top}")
    if flat.dtype.kind == "f" or flat.dtype.kind == "b" or flat.dtype == np.uint64:
        flat = flat.astype(np.int64)
    return flat, int(hi)


def _ids_from_arrow(col: Any, index: NDArray[np.int64]) -> list[Piece]:
    """One piece per chunk of a list<int> column, read from its offsets and values without a copy."""
    import pyarrow as pa

    chunks = col.chunks if isinstance(col, pa.ChunkedArray) else [col]
    if not (pa.types.is_list(col.type) or pa.types.is_large_list(col.type)):
        raise TypeError(f"'input_ids' column must be a list<int> column, got {col.type}")
    pieces = []
    start = 0
    for chunk in chunks:
        idx = index[start:start + len(chunk)]
        if chunk.null_count:
            first = int(np.flatnonzero(chunk.is_null().to_numpy(zero_copy_only=False))[0])
            raise InputError(idx[first], "input_ids", "is null")
        offsets = chunk.offsets.to_numpy()
        lengths = np.diff(offsets).astype(np.int64)
        values = chunk.values.slice(int(offsets[0]), int(offsets[-1] - offsets[0]))
        if values.null_count:
            pos = int(np.flatnonzero(values.is_null().to_numpy(zero_copy_only=False))[0])
            raise InputError(_bad_item(idx, lengths, pos), "input_ids", "holds a null token id")
        flat, hi = _check_ids(values.to_numpy(zero_copy_only=False), lengths, idx)
        pieces.append(Piece(flat, lengths, hi))
        start += len(chunk)
    return pieces


def _ids_from_lists(seqs: list[Any], index: NDArray[np.int64]) -> list[Piece]:
    for pos, s in zip(index, seqs, strict=True):
        if isinstance(s, (str, bytes)) or not hasattr(s, "__len__"):
            raise InputTypeError(pos, "input_ids", f"must be a sequence of ints, got {type(s).__name__}")
    lengths = np.fromiter(map(len, seqs), dtype=np.int64, count=len(seqs))
    total = int(lengths.sum())
    if seqs and all(isinstance(s, np.ndarray) for s in seqs):
        flat = np.concatenate([s.ravel() for s in seqs]) if total else np.zeros(0, np.int64)
    else:
        try:
            flat = np.fromiter(chain.from_iterable(seqs), dtype=np.float64, count=total)
        except (TypeError, ValueError) as e:
            for pos, s in zip(index, seqs, strict=True):
                for t in s:
                    if isinstance(t, bool) or not isinstance(t, (int, float, np.integer, np.floating)):
                        raise InputTypeError(pos, "input_ids", f"holds a non-integer token {t!r}") from e
            raise
    codes, top = _check_ids(flat, lengths, index)
    return [Piece(codes, lengths, top)]


def _texts(values: Any, index: NDArray[np.int64]) -> list[str]:
    texts = values.to_pylist() if hasattr(values, "to_pylist") else list(values)
    for pos, t in zip(index, texts, strict=True):
        if not isinstance(t, str):
            raise InputTypeError(pos, "text", f"must be a str, got {type(t).__name__}")
    return texts


def _token_kind(sel: _inputs.Selection, spec: TaskSpec) -> str:
    ids_key, text_key = spec.input_ids_key, spec.text_key
    if sel.kind == "ndarray" or sel.kind == "arrow_array" or sel.kind == "series":
        src = sel.source
        if sel.kind == "ndarray":
            if src.ndim != 2 or src.dtype.kind not in "iuf":
                raise ValueError(f"a text array must be 2-D (items, tokens) of token ids, got shape {src.shape}")
            return "ids"
        import pyarrow as pa

        if sel.kind == "arrow_array":
            return "words" if pa.types.is_string(src.type) or pa.types.is_large_string(src.type) else "ids"
        first = next((v for v in src if v is not None), None)
        return "words" if isinstance(first, str) else "ids"
    if sel.kind == "items":
        kinds = set()
        for pos, item in zip(sel.index, sel.source, strict=True):
            if not hasattr(item, "keys"):
                raise InputTypeError(pos, None, f"expected a mapping with {ids_key!r} or {text_key!r}, got {type(item).__name__}")
            has_ids, has_text = ids_key in item, text_key in item
            if not has_ids and not has_text:
                raise InputError(pos, None, f"missing key {ids_key!r} (or {text_key!r})")
            kinds.add("ids" if has_ids else "words")
            if len(kinds) > 1:
                raise InputError(
                    pos, None, f"dataset mixes {text_key!r} and {ids_key!r} items; profile them separately"
                )
        return kinds.pop()
    if _inputs.has_column(sel, ids_key):
        return "ids"
    if _inputs.has_column(sel, text_key):
        return "words"
    raise ValueError(f"dataset has neither an {ids_key!r} nor a {text_key!r} column")


# ----------------------------------------------------------------------------- profiling
#: Items of at least this many tokens weigh 1 in the per-item share test; shorter ones weigh
#: length / ITEM_WEIGHT_CAP (a one-token item's share of 0 or 1 would otherwise weigh as much as a
#: long item's, and such outliers made the test over-alarm with lopsided sizes).
ITEM_WEIGHT_CAP = 32


def item_weights(lengths: NDArray[np.int64]) -> NDArray[np.float64]:
    """``w_i = min(L_i, ITEM_WEIGHT_CAP) / ITEM_WEIGHT_CAP``: each item's weight in the share test.

    Examples
    --------
    >>> item_weights(np.array([1, 16, 32, 5000])).tolist()
    [0.03125, 0.5, 1.0, 1.0]
    """
    return np.minimum(lengths, ITEM_WEIGHT_CAP) / ITEM_WEIGHT_CAP


def token_stats(codes: NDArray[Any], lengths: NDArray[np.int64], top: int | None = None) -> tuple[NDArray[Any], ...]:
    """Per token code: count, sum over items of (item's count)^2, of count * item length, and,
    with the token's share of item i ``s_i = count / length`` and the item's weight ``w_i``
    (:func:`item_weights`), the sums of ``w s``, ``(w s)^2`` and ``w^2 s``.

    ``codes`` are non-negative integers of any integer dtype (int32 ids are not widened); ``top``
    is their largest value when known. See :func:`_add_token_stats` for how.

    Examples
    --------
    Item 0 is ``[1, 1]`` (length 2, w = 2/32), item 1 is ``[0]`` (length 1, w = 1/32):

    >>> [x.tolist() for x in token_stats(np.array([1, 1, 0]), np.array([2, 1]))]
    [[1, 2], [1, 4], [1, 4], [0.03125, 0.0625], [0.0009765625, 0.00390625], [0.0009765625, 0.00390625]]
    """
    v = (int(codes.max()) if len(codes) else 0) + 1 if top is None else top + 1
    out = _new_stats(v)
    _add_token_stats(out, codes, lengths)
    return tuple(out)


def _new_stats(v: int) -> list[NDArray[Any]]:
    return [np.zeros(v, np.int64) for _ in range(3)] + [np.zeros(v) for _ in range(3)]


def _add_token_stats(out: list[NDArray[Any]], codes: NDArray[Any], lengths: NDArray[np.int64]) -> None:
    """Add the per-token sums of :func:`token_stats` of these items to ``out`` (one array per sum).

    Items are taken in chunks of about :data:`_CHUNK_TOKENS` tokens. In a chunk each token is keyed
    by (token, item) -- ``token << item_bits | item``, int32 when it fits (int32 keys sort about
    twice as fast) -- and the keys sorted once. A run of equal keys is one item's count of one
    token, and since the runs of a token are adjacent, every per-token sum is one
    ``np.add.reduceat`` over the runs at the token boundaries (no float-weighted ``bincount``).
    """
    v = len(out[0])
    token_bits = max(1, v - 1).bit_length()
    ends = np.cumsum(lengths)
    weights = item_weights(lengths)
    start = 0
    while start < len(lengths):
        lo = int(ends[start] - lengths[start])
        stop = max(start + 1, int(np.searchsorted(ends, lo + _CHUNK_TOKENS, side="right")))
        stop = min(stop, len(lengths), start + (1 << max(1, 62 - token_bits)))
        hi = int(ends[stop - 1])
        if hi > lo:
            ln = lengths[start:stop]
            share = weights[start:stop] / np.maximum(ln, 1)  # w / length: an item's w s per occurrence
            share_w = share * weights[start:stop]  # w^2 / length
            item_bits = max(1, len(ln) - 1).bit_length()
            kt: Any = np.int32 if token_bits + item_bits <= 31 else np.int64
            key = codes[lo:hi].astype(kt)
            key <<= kt(item_bits)
            key |= np.repeat(np.arange(len(ln), dtype=kt), ln)
            key.sort()
            edge = np.empty(len(key), dtype=bool)
            edge[0] = True
            np.not_equal(key[1:], key[:-1], out=edge[1:])
            first = np.flatnonzero(edge)
            run = np.empty(len(first), dtype=np.int64)
            np.subtract(first[1:], first[:-1], out=run[:-1])
            run[-1] = len(key) - first[-1]
            run_key = key[first]
            tok = run_key >> kt(item_bits)
            item = run_key & kt((1 << item_bits) - 1)
            edge = edge[: len(tok)]
            np.not_equal(tok[1:], tok[:-1], out=edge[1:])
            bounds = np.flatnonzero(edge)  # each token's first run
            present = tok[bounds]
            ws = run * share[item]  # w s = w * count / length
            out[0][present] += np.diff(first[bounds], append=len(key))
            out[1][present] += np.add.reduceat(run * run, bounds)
            out[2][present] += np.add.reduceat(run * ln[item], bounds)
            out[3][present] += np.add.reduceat(ws, bounds)
            out[4][present] += np.add.reduceat(ws * ws, bounds)
            out[5][present] += np.add.reduceat(run * share_w[item], bounds)
        start = stop


def _ranked(values: NDArray[Any], counts: NDArray[np.int64]) -> NDArray[np.int64]:
    """Order: most frequent first, ties by token."""
    return np.lexsort((values, -counts))


def profile_text(sel: _inputs.Selection, spec: TaskSpec) -> dict[str, Any]:
    """Text fields of a profile (see :class:`drift_core.schema.TextProfile`)."""
    kind = _token_kind(sel, spec)
    if kind == "ids":
        if sel.kind == "ndarray":
            arr = sel.source
            lengths = np.full(len(arr), arr.shape[1], dtype=np.int64)
            codes, top = _check_ids(arr.ravel(), lengths, sel.index)
            pieces = [Piece(codes, lengths, top)]
        else:
            col = _values(sel, spec.input_ids_key)
            pieces = _ids_from_arrow(col, sel.index) if _inputs._is_arrow(col) else _ids_from_lists(list(col), sel.index)
        lengths = pieces[0].lengths if len(pieces) == 1 else np.concatenate([p.lengths for p in pieces])
        n_codes = sum(len(p.codes) for p in pieces)
        top = max(p.top for p in pieces) + 1 if n_codes else 1
        if top > max(_DENSE_IDS, 4 * n_codes):
            # Sparse ids (a hash vocabulary, or a hostile id of 10**12): the sums are per id, so
            # counting on the ids themselves would allocate ``top`` slots; number the distinct ids.
            values, dense = np.unique(np.concatenate([p.codes.astype(np.int64) for p in pieces]), return_inverse=True)
            stats = list(token_stats(dense.astype(np.int64).ravel(), lengths))
        else:
            all_stats = _new_stats(top)
            for p in pieces:
                _add_token_stats(all_stats, p.codes, p.lengths)
            values = np.flatnonzero(all_stats[0])  # every id seen, ascending
            stats = [x[values] for x in all_stats]
        order: Any = slice(None)  # ids keep every token
        dropped = np.zeros(0, dtype=np.int64)
        codes = pieces[0].codes if len(pieces) == 1 else np.concatenate([p.codes for p in pieces])
        rare = text_health.rare_candidates(values, stats[0], stats[1])
        health = text_health.profile_health(codes, lengths, None, values, spec.pad_token_id, rare)
    else:
        docs = [words(t) for t in _texts(_values(sel, spec.text_key), sel.index)]
        lengths = np.fromiter(map(len, docs), dtype=np.int64, count=len(docs))
        values, codes = _encode_words(list(chain.from_iterable(docs)))
        stats = [x[: len(values)] for x in token_stats(codes, lengths)]
        ranked = _ranked(values, stats[0])
        order, dropped = ranked[:MAX_KEPT_WORDS], ranked[MAX_KEPT_WORDS:]  # words keep the most frequent
        rare = text_health.rare_candidates(np.arange(len(values)), stats[0], stats[1])
        health = text_health.profile_health(codes, lengths, values, values[order], None, rare)
    kept = (values[order], *(x[order] for x in stats))
    # the rest is summed over the dropped tokens (not total - kept: exactly 0 when nothing is dropped)
    rest = [x[dropped].sum() for x in stats]
    return {"token_kind": kind, **_length_fields(lengths), **_token_fields(int(lengths.sum()), kept, rest), **health}


def _encode_words(flat: list[str]) -> tuple[NDArray[np.str_], NDArray[Any]]:
    """``(distinct words, each word's code)``, by pyarrow's hash-based dictionary encoding (an
    ``np.unique`` of the strings sorts them all: several times slower)."""
    if not flat:
        return np.zeros(0, dtype=str), np.zeros(0, dtype=np.int64)
    import pyarrow as pa

    enc = pa.array(flat, type=pa.string()).dictionary_encode()
    return np.array(enc.dictionary.to_pylist(), dtype=str), enc.indices.to_numpy()


def _values(sel: _inputs.Selection, key: str) -> Any:
    """The selection's column ``key``, or the selection itself when it is a bare column."""
    return sel.source if sel.kind in ("arrow_array", "series") else _inputs.column(sel, key)


_STAT_KEYS = ("token_counts", "token_sq_counts", "token_cross_counts", "token_share_sums", "token_share_sumsqs",
              "token_share_cross")
_OTHER_KEYS = ("token_other_count", "token_other_sq", "token_other_cross", "token_other_share_sum",
               "token_other_share_sumsq", "token_other_share_cross")


def _token_fields(n_tokens: int, kept: tuple[NDArray[Any], ...], rest: list[Any]) -> dict[str, Any]:
    values, counts = kept[0], kept[1]
    top = _ranked(values, counts)[:TOP_K]
    ints = 3  # counts, squared counts and cross sums are integers; the share sums are floats
    return {
        "n_tokens": n_tokens,
        "token_values": values.tolist(),
        **{k: (x.astype(np.int64) if i < ints else x.astype(np.float64)).tolist()
           for i, (k, x) in enumerate(zip(_STAT_KEYS, kept[1:], strict=True))},
        **{k: (int(round(float(r))) if i < ints else float(r)) for i, (k, r) in enumerate(zip(_OTHER_KEYS, rest, strict=True))},
        "top_tokens": values[top].tolist(),
        "top_token_counts": counts[top].astype(np.int64).tolist(),
    }


def _length_fields(lengths: NDArray[np.int64]) -> dict[str, Any]:
    s = int(lengths.sum())
    s2 = int((lengths.astype(np.int64) ** 2).sum())
    nonempty = lengths[lengths > 0]
    return {
        "seq_length_sum": s,
        "seq_length_sumsq": s2,
        "n_nonempty": int(len(nonempty)),
        "seq_weight_sum": float(item_weights(nonempty).sum()),
        "seq_weight_sumsq": float((item_weights(nonempty) ** 2).sum()),
        **_length_moments(s, s2, len(lengths)),
        "seq_length_edges": length_edges(),
        "seq_length_hist": count_lengths(lengths).tolist(),
    }


def _length_moments(s: int, s2: int, n: int) -> dict[str, float]:
    mean = s / n
    var = max(0.0, s2 / n - mean * mean)
    return {"seq_length_mean": float(mean), "seq_length_std": float(np.sqrt(var))}


# ----------------------------------------------------------------------------- merging
def merge_text(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    """Add the text fields of two profiles of the same token kind (exact for every count)."""
    if a["token_kind"] != b["token_kind"]:
        raise ValueError(f"cannot merge a {a['token_kind']!r} text profile with a {b['token_kind']!r} one")
    n = a["n_samples"] + b["n_samples"]
    s = a["seq_length_sum"] + b["seq_length_sum"]
    s2 = a["seq_length_sumsq"] + b["seq_length_sumsq"]
    vals = np.concatenate([_token_array(a["token_values"], a["token_kind"]), _token_array(b["token_values"], a["token_kind"])])
    uniq, inverse = np.unique(vals, return_inverse=True)
    stats = [np.bincount(inverse, weights=np.concatenate([a[k], b[k]]), minlength=len(uniq)) for k in _STAT_KEYS]
    rest = [a[k] + b[k] for k in _OTHER_KEYS]
    order = np.arange(len(uniq)) if a["token_kind"] == "ids" else _ranked(uniq, stats[0])
    dropped = order[MAX_KEPT_WORDS:] if a["token_kind"] == "words" else order[:0]
    rest = [r + x[dropped].sum() for r, x in zip(rest, stats, strict=True)]
    order = order[: len(order) - len(dropped)]
    kept = (uniq[order], *(x[order] for x in stats))
    return {
        "token_kind": a["token_kind"],
        "seq_length_sum": s,
        "seq_length_sumsq": s2,
        "n_nonempty": a["n_nonempty"] + b["n_nonempty"],
        "seq_weight_sum": a["seq_weight_sum"] + b["seq_weight_sum"],
        "seq_weight_sumsq": a["seq_weight_sumsq"] + b["seq_weight_sumsq"],
        **_length_moments(s, s2, n),
        "seq_length_edges": a["seq_length_edges"],
        "seq_length_hist": (np.array(a["seq_length_hist"]) + np.array(b["seq_length_hist"])).tolist(),
        **_token_fields(a["n_tokens"] + b["n_tokens"], kept, rest),
        **text_health.merge_health(a, b, kept[0].tolist()),
    }


# ----------------------------------------------------------------------------- comparing
#: Candidate tokens per side for the top-100 bootstrap (tokens ranked lower rarely enter a top-100).
_TOP_CANDIDATES = 200


class _TokenTable:
    """One profile's token statistics as arrays sorted by token, built once per comparison."""

    def __init__(self, p: dict[str, Any]) -> None:
        vals = _token_array(p["token_values"], p["token_kind"])
        order = np.argsort(vals, kind="stable")
        self.values = vals[order]
        self.stats = np.asarray([p[k] for k in _STAT_KEYS], dtype=np.float64).reshape(len(_STAT_KEYS), -1)[:, order]
        self.n_tokens: int = p["n_tokens"]
        self.args = (p["seq_length_sumsq"], p["n_samples"], p["n_tokens"])
        self.n_docs: int = p["n_nonempty"]
        self.weights = (p["seq_weight_sum"], p["seq_weight_sumsq"])
        other = np.asarray([[p[k]] for k in _OTHER_KEYS], dtype=np.float64)
        everything = np.hstack([self.stats, other])
        self.overall = design_effects(everything[0], everything[1], everything[2], *self.args)[1]

    def lookup(self, tokens: NDArray[Any]) -> NDArray[np.float64]:
        """(5, len(tokens)) statistics of ``tokens`` (rows as in ``_STAT_KEYS``); 0 where absent."""
        if len(self.values) == 0 or len(tokens) == 0:
            return np.zeros((len(_STAT_KEYS), len(tokens)))
        pos = np.clip(np.searchsorted(self.values, tokens), 0, len(self.values) - 1)
        return np.where(self.values[pos] == tokens, self.stats[:, pos], 0.0)

    def counts(self, tokens: NDArray[Any]) -> NDArray[np.int64]:
        return np.rint(self.lookup(tokens)[0]).astype(np.int64)

    def deffs(self, tokens: NDArray[Any]) -> NDArray[np.float64]:
        """Design effect of each token's share (sandwich estimate, never below the profile's overall one)."""
        s1, s2, x = self.lookup(tokens)[:3]
        return design_effects(s1, s2, x, *self.args, floor=self.overall)[0]

    def top(self, k: int, by: int = 0) -> NDArray[Any]:
        """The (about) ``k`` most frequent tokens (``by=3``: largest summed per-item share), unordered."""
        if len(self.values) <= k:
            return self.values
        return self.values[np.argpartition(-self.stats[by], k - 1)[:k]]

    def share_sums(self, tokens: NDArray[Any]) -> tuple[Any, ...]:
        """Sums of ``w s``, ``(w s)^2`` and ``w^2 s`` of ``tokens``, and the sums ``W = sum w``, ``W2 = sum w^2``."""
        rows = self.lookup(tokens)[3:]
        return rows[0], rows[1], rows[2], np.float64(self.weights[0]), np.float64(self.weights[1])


def _token_array(tokens: list[Any], kind: str) -> NDArray[Any]:
    return np.asarray(tokens, dtype=np.int64 if kind == "ids" else str)


def _show(token: Any) -> str:
    return f"token {token}" if isinstance(token, (int, np.integer)) else repr(str(token))


def _top_masks(draws: NDArray[Any], k: int) -> NDArray[np.bool_]:
    """Boolean (B, K) mask of each row's top-k columns (ties to the lower column = more frequent)."""
    b, kk = draws.shape
    k = min(k, kk)
    key = draws + (kk - np.arange(kk)) / (kk + 1.0)
    # each row's k-th largest key: the row's top k are the keys at or above it, unless keys tie there
    kth = np.partition(key, kk - k, axis=1)[:, kk - k]
    mask = key >= kth[:, None]
    tied = np.flatnonzero(mask.sum(axis=1) != k)
    if len(tied):  # a tie at the k-th key (fractional counts): argpartition picks k of them, as always
        idx = np.argpartition(-key[tied], k - 1, axis=1)[:, :k]
        rows = np.zeros((len(tied), kk), dtype=bool)
        np.put_along_axis(rows, idx, True, axis=1)
        mask[tied] = rows
    return mask & (draws > 0)


def _check_kinds(ref: dict[str, Any], new: dict[str, Any]) -> None:
    if ref["token_kind"] != new["token_kind"]:
        raise ValueError(
            f"cannot compare a {ref['token_kind']!r} text profile with a {new['token_kind']!r} one "
            "(token ids vs words: profile both sides the same way)"
        )


def _length_label(edges: list[int], lo: int, hi: int) -> str:
    first, last = edges[lo], (edges[hi + 1] - 1 if hi + 1 < len(edges) else None)
    if last is None:
        return f"length {first}+"
    return f"length {first}" if first == last else f"length {first}-{last}"


def _lengths(pair: Pair) -> HistogramComparison:
    """Sequence lengths on coarse bins shared by both sides (built once per comparison)."""
    def build() -> HistogramComparison:
        _check_kinds(pair.ref, pair.new)
        rh, nh = np.asarray(pair.ref["seq_length_hist"]), np.asarray(pair.new["seq_length_hist"])
        groups = shared_groups(rh, nh, n_coarse_bins(pair.ref["n_samples"], pair.new["n_samples"]))
        edges = pair.ref["seq_length_edges"]
        labels = [_length_label(edges, lo, hi) for lo, hi in group_spans(groups, (rh + nh) > 0)]
        return compare_histograms(coarsen(rh, groups), coarsen(nh, groups), labels)
    return pair.memo("seq_length", build)


def _length_summary(ref: dict[str, Any], new: dict[str, Any]) -> str:
    mr, mn = ref["seq_length_mean"], new["seq_length_mean"]
    fmt = ".0f" if max(mr, mn) >= 10 else ".1f"
    pct = f" ({(mn - mr) / mr:+.0%})" if mr > 0 else ""
    return f"mean sequence length {mr:{fmt}} -> {mn:{fmt}} tokens{pct}"


def length_js(pair: Pair) -> Evaluation:
    """``seq_length_js``: JS distance of the sequence-length histograms."""
    return _lengths(pair).evaluate(pair, "seq_length_js", js_distance, _length_summary(pair.ref, pair.new))


def length_kl(pair: Pair) -> Evaluation:
    """``seq_length_kl``: KL(ref || new) of the sequence-length histograms, in bits."""
    return _lengths(pair).evaluate(pair, "seq_length_kl", kl_bits, _length_summary(pair.ref, pair.new))


class _TokenComparison:
    """Token tables of both sides and the pooled top-100 buckets (built once per comparison)."""

    def __init__(self, ref: dict[str, Any], new: dict[str, Any]) -> None:
        _check_kinds(ref, new)
        self.ref, self.new = ref, new
        self.tr, self.tn = _TokenTable(ref), _TokenTable(new)
        self.cand = _candidates(self.tr, self.tn)
        self.pooled_top = self.cand[: min(TOP_K, len(self.cand))]
        cr, cn = self.tr.counts(self.pooled_top), self.tn.counts(self.pooled_top)
        self.br = np.append(cr, ref["n_tokens"] - cr.sum())
        self.bn = np.append(cn, new["n_tokens"] - cn.sum())
        self.deff_ref = _with_other(self.tr.deffs(self.pooled_top), self.tr.overall)
        self.deff_new = _with_other(self.tn.deffs(self.pooled_top), self.tn.overall)
        self.p_shares = self._item_share_p()

    def _item_share_p(self) -> float:
        """Item-level test of the token shares (:func:`significance.item_share_test`), on the 100
        tokens with the largest pooled weighted share sum (chosen from both sides' sums added, which
        under no drift is independent of their difference).

        Per side, the weighted mean share ``m = sum(w s) / W``; under no drift both sides share one
        per-item variance, estimated around the pooled mean from both:
        ``sigma^2 = (sum_both (w s)^2 - 2 m sum w^2 s + m^2 W2) / sum_both W2``; a side's squared
        standard error is ``sigma^2 W2 / W^2``, and ``df = W_ref^2 / W2_ref + W_new^2 / W2_new - 2``.
        """
        tr, tn = self.tr, self.tn
        if tr.n_docs < 2 or tn.n_docs < 2:
            return 1.0
        cand = np.unique(np.concatenate([tr.top(_TOP_CANDIDATES, by=3), tn.top(_TOP_CANDIDATES, by=3)]))
        a, b = tr.share_sums(cand), tn.share_sums(cand)
        chosen = np.lexsort((cand, -(a[0] + b[0])))[:TOP_K]
        s1r, s2r, xr = (x[chosen] for x in a[:3])
        s1n, s2n, xn = (x[chosen] for x in b[:3])
        wr, w2r, wn, w2n = float(a[3]), float(a[4]), float(b[3]), float(b[4])
        if wr <= 0 or wn <= 0:
            return 1.0
        m = (s1r + s1n) / (wr + wn)
        sigma2 = np.maximum(s2r + s2n - 2 * m * (xr + xn) + m * m * (w2r + w2n), 0.0) / (w2r + w2n)
        se2 = sigma2 * (w2r / wr**2 + w2n / wn**2)
        return item_share_test(s1r / wr - s1n / wn, se2, wr * wr / w2r + wn * wn / w2n - 2)


def _with_other(deffs: NDArray[np.float64], overall: float) -> NDArray[np.float64]:
    """Append the design effect of the "other" bucket: its per-item variance is not kept, so it takes
    the typical (median) design effect of the listed tokens, never below the profile's overall one."""
    return np.append(deffs, max(overall, float(np.median(deffs)) if len(deffs) else 1.0))


def _tokens(pair: Pair) -> _TokenComparison:
    return pair.memo("tokens", lambda: _TokenComparison(pair.ref, pair.new))


def token_share_js(pair: Pair) -> Evaluation:
    """``token_freq_js``: JS distance of token shares over the pooled top-100 plus "other"."""
    tc = _tokens(pair)
    t_ref, t_new = pair.ref["n_tokens"], pair.new["n_tokens"]
    score = float(js_distance(tc.br, tc.bn))
    pooled = (tc.br + tc.bn) / max(t_ref + t_new, 1)

    def floor(rng: np.random.Generator) -> float:
        a, b = _null_pair(pooled, (t_ref, tc.deff_ref), (t_new, tc.deff_new), rng)
        return noise_floor(np.asarray(js_distance(a, b)) if t_ref + t_new > 0 else np.zeros(N_BOOTSTRAP))
    changes = _share_changes(tc.tr, tc.tn, tc.pooled_top)
    if changes:
        top_change = changes[0]
        summary = (f"largest change: {_show(top_change['token'])} {top_change['ref_share']:.1%} -> "
                   f"{top_change['new_share']:.1%} of tokens")
    else:
        summary = "no tokens on either side"
    labels = [_show(t) for t in tc.pooled_top.tolist()] + ["other tokens"]
    bins = Bins(np.asarray(tc.br, dtype=np.float64), np.asarray(tc.bn, dtype=np.float64), labels, "tokens")
    return Evaluation("token_freq_js", score, summary, tc.p_shares, pair.floor("token_freq_js", floor),
                      pair.ref["n_samples"], pair.new["n_samples"], bins=bins)


def top_token_turnover(pair: Pair) -> Evaluation:
    """``top_tokens_drift``: share of the top-100 tokens not in the other side's top 100.

    Its bootstrap draws tokens independently, but topic words rise and fall together, so the
    turnover's p-value is also never below the token-share test's: a turnover counts as real only
    when the token shares changed significantly too (max of two valid p's).
    """
    tc = _tokens(pair)
    detail = token_overlap(pair)
    drift = 1.0 - detail["token_overlap"]
    null_top = _top_turnover_null(tc.tr, tc.tn, tc.cand, pair.rng("top_tokens_drift"))  # its p-value's too
    return Evaluation("top_tokens_drift", drift,
                      f"{len(detail['tokens_only_new'])} of the top-{len(pair.new['top_tokens'])} tokens are new",
                      max(empirical_p(drift, null_top), tc.p_shares), noise_floor(null_top) if pair.floors else None,
                      pair.ref["n_samples"], pair.new["n_samples"])


def token_overlap(pair: Pair) -> dict[str, Any]:
    """``token_overlap`` (shared share of the larger top-100), ``tokens_only_new``, ``tokens_only_ref``."""
    _check_kinds(pair.ref, pair.new)
    top_ref, top_new = pair.ref["top_tokens"], pair.new["top_tokens"]
    shared = set(top_ref) & set(top_new)
    size = max(len(top_ref), len(top_new))
    overlap = len(shared) / size if size else 1.0
    return {"token_overlap": overlap, "tokens_only_new": [t for t in top_new if t not in shared],
            "tokens_only_ref": [t for t in top_ref if t not in shared]}


def _share_changes(tr: _TokenTable, tn: _TokenTable, tokens: NDArray[Any]) -> list[dict[str, Any]]:
    """Each token's share of all tokens on both sides, largest absolute change first (ties by token)."""
    sr = tr.counts(tokens) / max(tr.n_tokens, 1)
    sn = tn.counts(tokens) / max(tn.n_tokens, 1)
    order = np.lexsort((tokens.astype(str), -np.abs(sn - sr)))
    return [{"token": tokens[i].item(), "ref_share": float(sr[i]), "new_share": float(sn[i])} for i in order]


def token_share_changes(ref: dict[str, Any], new: dict[str, Any], k: int = 15) -> list[dict[str, Any]]:
    """The ``k`` tokens, among the pooled top-100 that ``token_freq_js`` is computed on, whose share
    of all tokens changed most: ``{"token", "ref_share", "new_share"}`` (fractions), largest first.

    Examples
    --------
    >>> from drift_core import TaskSpec, compute_dataset_profile
    >>> a = compute_dataset_profile([{"input_ids": [1, 2, 3, 3]}], TaskSpec("text"))
    >>> b = compute_dataset_profile([{"input_ids": [2, 2, 2, 3]}], TaskSpec("text"))
    >>> token_share_changes(a, b, k=1)
    [{'token': 2, 'ref_share': 0.25, 'new_share': 0.75}]
    """
    validate_profile(ref, "reference profile")
    validate_profile(new, "new profile")
    if ref["modality"] != "text" or new["modality"] != "text" or ref["token_kind"] != new["token_kind"]:
        raise ValueError("token share changes need two text profiles of the same token kind (ids or words)")
    tr, tn = _TokenTable(ref), _TokenTable(new)
    return _share_changes(tr, tn, _candidates(tr, tn)[:TOP_K])[:k]


def _candidates(tr: _TokenTable, tn: _TokenTable) -> NDArray[Any]:
    """Tokens ranked by pooled count (ties by token): each side's top candidates, merged."""
    cand = np.unique(np.concatenate([tr.top(_TOP_CANDIDATES), tn.top(_TOP_CANDIDATES)]))
    return cand[_ranked(cand, tr.counts(cand) + tn.counts(cand))]


def _top_turnover_null(tr: _TokenTable, tn: _TokenTable, cand: NDArray[Any],
                       rng: np.random.Generator) -> NDArray[np.float64]:
    """Top-100 turnover of bootstrap pairs drawn from the pooled token shares.

    Counts of the pooled top :data:`_TOP_CANDIDATES` tokens are drawn as overdispersed Poissons
    whose variance is the token's design effect times its mean (tokens cluster within items).
    """
    cand = cand[:_TOP_CANDIDATES]
    total = float(tr.n_tokens + tn.n_tokens)
    if total <= 0 or len(cand) == 0:
        return np.zeros(N_BOOTSTRAP)
    pooled = (tr.counts(cand) + tn.counts(cand)) / total
    a, b = _null_pair(pooled, (tr.n_tokens, tr.deffs(cand)), (tn.n_tokens, tn.deffs(cand)), rng)
    ma, mb = _top_masks(a, TOP_K), _top_masks(b, TOP_K)
    return 1.0 - (ma & mb).sum(axis=1) / np.maximum(np.maximum(ma.sum(axis=1), mb.sum(axis=1)), 1)


def _null_pair(pooled: NDArray[np.float64], ref: tuple[int, NDArray[np.float64]], new: tuple[int, NDArray[np.float64]],
               rng: np.random.Generator) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Overdispersed token counts of both sides under no drift, ``(tokens, design effects)`` each.

    The side with fewer tokens is drawn first, so swapping reference and new data draws the same
    pairs (symmetric noise floors and p-values)."""
    draws = [overdispersed_counts(pooled * t, d, N_BOOTSTRAP, rng) for t, d in sorted((ref, new), key=lambda s: s[0])]
    return (draws[0], draws[1]) if ref[0] <= new[0] else (draws[1], draws[0])
