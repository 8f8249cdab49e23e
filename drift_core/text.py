"""Text: profile token sequences (lengths, token frequencies) and compare two text profiles.

Items carry token ids (``input_ids``: non-negative ints) or raw ``text`` (split by
:func:`drift_core.tokenize.words`). A dataset holds one kind; so does a comparison.

Everything runs on one flat token array plus per-item lengths: ``np.bincount`` counts tokens,
``np.diff`` of offsets gives lengths, and a second ``bincount`` over (item, hash bucket) keys
gives the clustering statistics that the significance tests need (tokens cluster within items).
"""

from __future__ import annotations

import zlib
from itertools import chain
from typing import Any

import numpy as np
from numpy.typing import NDArray

from . import _inputs
from ._evaluation import Evaluation, histogram_pair, metric_rng
from .divergence import js_distance
from .histograms import coarsen, count_lengths, equal_mass_groups, length_edges, n_coarse_bins
from .schema import MAX_KEPT_WORDS, TOKEN_CLUSTER_BUCKETS, TOP_K
from .significance import (
    N_BOOTSTRAP,
    chi2_homogeneity,
    design_effects,
    empirical_p,
    noise_floor,
    overdispersed_counts,
)
from .spec import TaskSpec
from .tokenize import words

Tokens = tuple[NDArray[np.int64], NDArray[np.int64]]  # flat token codes, per-item lengths
_CLUSTER_CHUNK = 4096  # items per chunk of the clustering statistics


# ----------------------------------------------------------------------------- reading items
def _bad_item(index: NDArray[np.int64], lengths: NDArray[np.int64], flat_pos: int) -> int:
    """Original index of the item holding flat token position ``flat_pos``."""
    ends = np.cumsum(lengths)
    return int(index[int(np.searchsorted(ends, flat_pos, side="right"))])


def _check_ids(flat: NDArray[Any], lengths: NDArray[np.int64], index: NDArray[np.int64]) -> NDArray[np.int64]:
    if flat.dtype.kind == "f":
        bad = np.flatnonzero(~np.isfinite(flat) | (flat != np.floor(flat)))
        if len(bad):
            i = _bad_item(index, lengths, int(bad[0]))
            raise ValueError(f"item {i}: 'input_ids' holds a non-integer token id {flat[bad[0]]!r}")
    elif flat.dtype.kind not in "iub" and len(flat):
        raise TypeError(f"'input_ids' must hold integers, got dtype {flat.dtype}")
    if len(flat):
        neg = np.flatnonzero(flat < 0)
        if len(neg):
            i = _bad_item(index, lengths, int(neg[0]))
            raise ValueError(f"item {i}: 'input_ids' holds a negative token id {int(flat[neg[0]])}")
    return flat.astype(np.int64, copy=False)


def _ids_from_arrow(col: Any, index: NDArray[np.int64]) -> Tokens:
    import pyarrow as pa
    import pyarrow.compute as pc

    if isinstance(col, pa.ChunkedArray):
        col = col.combine_chunks()
    if not (pa.types.is_list(col.type) or pa.types.is_large_list(col.type)):
        raise TypeError(f"'input_ids' column must be a list<int> column, got {col.type}")
    if col.null_count:
        first = int(np.flatnonzero(col.is_null().to_numpy(zero_copy_only=False))[0])
        raise ValueError(f"item {int(index[first])}: 'input_ids' is null")
    lengths = pc.list_value_length(col).to_numpy(zero_copy_only=False).astype(np.int64)
    values = pc.list_flatten(col)
    if values.null_count:
        pos = int(np.flatnonzero(values.is_null().to_numpy(zero_copy_only=False))[0])
        raise ValueError(f"item {_bad_item(index, lengths, pos)}: 'input_ids' holds a null token id")
    flat = values.to_numpy(zero_copy_only=False)
    return _check_ids(flat, lengths, index), lengths


def _ids_from_lists(seqs: list[Any], index: NDArray[np.int64]) -> Tokens:
    for pos, s in zip(index, seqs, strict=True):
        if isinstance(s, (str, bytes)) or not hasattr(s, "__len__"):
            raise TypeError(f"item {pos}: 'input_ids' must be a sequence of ints, got {type(s).__name__}")
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
                        raise TypeError(f"item {pos}: 'input_ids' holds a non-integer token {t!r}") from e
            raise
    return _check_ids(flat, lengths, index), lengths


def _texts(values: Any, index: NDArray[np.int64]) -> list[str]:
    texts = values.to_pylist() if hasattr(values, "to_pylist") else list(values)
    for pos, t in zip(index, texts, strict=True):
        if not isinstance(t, str):
            raise TypeError(f"item {pos}: 'text' must be a str, got {type(t).__name__}")
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
                raise TypeError(f"item {pos}: expected a mapping with {ids_key!r} or {text_key!r}, got {type(item).__name__}")
            has_ids, has_text = ids_key in item, text_key in item
            if not has_ids and not has_text:
                raise ValueError(f"item {pos}: missing key {ids_key!r} (or {text_key!r})")
            kinds.add("ids" if has_ids else "words")
            if len(kinds) > 1:
                raise ValueError(
                    f"item {pos}: dataset mixes {text_key!r} and {ids_key!r} items; profile them separately"
                )
        return kinds.pop()
    if _inputs.has_column(sel, ids_key):
        return "ids"
    if _inputs.has_column(sel, text_key):
        return "words"
    raise ValueError(f"dataset has neither an {ids_key!r} nor a {text_key!r} column")


# ----------------------------------------------------------------------------- profiling
def _cluster_stats(codes: NDArray[np.int64], lengths: NDArray[np.int64], bucket_of: NDArray[np.int64] | None) -> dict[str, Any]:
    """Per hash bucket: token count, and sums over items of (item's count)^2 and of count * length.

    Items are processed in chunks so that the (items x buckets) count table stays small.
    """
    h = TOKEN_CLUSTER_BUCKETS
    buckets = (codes & (h - 1)) if bucket_of is None else bucket_of[codes]
    ends = np.cumsum(lengths)
    counts = np.zeros(h, np.int64)
    sum_sq = np.zeros(h, np.int64)
    sum_cross = np.zeros(h, np.int64)
    for start in range(0, len(lengths), _CLUSTER_CHUNK):
        ln = lengths[start : start + _CLUSTER_CHUNK]
        lo = int(ends[start] - lengths[start])
        hi = int(ends[start + len(ln) - 1])
        item = np.repeat(np.arange(len(ln), dtype=np.int64) * h, ln)
        per_item = np.bincount(item + buckets[lo:hi], minlength=len(ln) * h).reshape(len(ln), h)
        counts += per_item.sum(axis=0)
        sum_sq += np.einsum("ij,ij->j", per_item, per_item)
        sum_cross += ln @ per_item
    return {"n_buckets": h, "bucket_counts": counts.tolist(), "sum_sq": sum_sq.tolist(), "sum_cross": sum_cross.tolist()}


def token_bucket(tokens: NDArray[Any]) -> NDArray[np.int64]:
    """Hash bucket of each token: id mod 256 for ids, crc32 of the UTF-8 word mod 256 for words."""
    if tokens.dtype.kind in "iu":
        return tokens.astype(np.int64) & (TOKEN_CLUSTER_BUCKETS - 1)
    return np.array([zlib.crc32(w.encode()) & (TOKEN_CLUSTER_BUCKETS - 1) for w in tokens.tolist()], dtype=np.int64)


def _ranked(values: NDArray[Any], counts: NDArray[np.int64]) -> NDArray[np.int64]:
    """Order: most frequent first, ties by token."""
    return np.lexsort((values, -counts))


def profile_text(sel: _inputs.Selection, spec: TaskSpec) -> dict[str, Any]:
    """Text fields of a profile (see :class:`drift_core.schema.TextProfile`)."""
    kind = _token_kind(sel, spec)
    bucket_of: NDArray[np.int64] | None = None
    if kind == "ids":
        if sel.kind == "ndarray":
            arr = sel.source
            lengths = np.full(len(arr), arr.shape[1], dtype=np.int64)
            codes = _check_ids(arr.ravel(), lengths, sel.index)
        else:
            col = _inputs.column(sel, spec.input_ids_key) if sel.kind not in ("arrow_array", "series") else sel.source
            if _inputs._is_arrow(col):
                codes, lengths = _ids_from_arrow(col, sel.index)
            else:
                codes, lengths = _ids_from_lists(list(col), sel.index)
        counts = np.bincount(codes, minlength=0) if len(codes) else np.zeros(0, np.int64)
        values = np.flatnonzero(counts)
        kept_counts = counts[values]
        other = 0
    else:
        col = _inputs.column(sel, spec.text_key) if sel.kind not in ("arrow_array", "series") else sel.source
        docs = [words(t) for t in _texts(col, sel.index)]
        lengths = np.fromiter(map(len, docs), dtype=np.int64, count=len(docs))
        flat_words = np.array(list(chain.from_iterable(docs)), dtype=str)
        uniq, codes, all_counts = np.unique(flat_words, return_inverse=True, return_counts=True)
        codes = codes.astype(np.int64).ravel()
        bucket_of = token_bucket(uniq)
        order = _ranked(uniq, all_counts)[:MAX_KEPT_WORDS]
        values, kept_counts = uniq[order], all_counts[order]
        other = int(all_counts.sum() - kept_counts.sum())
    top = _ranked(values, kept_counts)[:TOP_K]
    n_tokens = int(lengths.sum())
    return {
        "token_kind": kind,
        **_length_fields(lengths),
        "n_tokens": n_tokens,
        "token_values": values.tolist(),
        "token_counts": kept_counts.astype(np.int64).tolist(),
        "token_other_count": other,
        "top_tokens": values[top].tolist(),
        "top_token_counts": kept_counts[top].astype(np.int64).tolist(),
        "token_cluster": _cluster_stats(codes, lengths, bucket_of),
    }


def _length_fields(lengths: NDArray[np.int64]) -> dict[str, Any]:
    s = int(lengths.sum())
    s2 = int((lengths.astype(np.int64) ** 2).sum())
    return {
        "seq_length_sum": s,
        "seq_length_sumsq": s2,
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
    tok: dict[Any, int] = dict(zip(a["token_values"], a["token_counts"], strict=True))
    for t, c in zip(b["token_values"], b["token_counts"], strict=True):
        tok[t] = tok.get(t, 0) + c
    vals = np.array(list(tok.keys()))
    cnts = np.array(list(tok.values()), dtype=np.int64)
    other = a["token_other_count"] + b["token_other_count"]
    if a["token_kind"] == "ids":
        order = np.argsort(vals, kind="stable")
    else:
        order = _ranked(vals, cnts)
        other += int(cnts[order[MAX_KEPT_WORDS:]].sum())
        order = order[:MAX_KEPT_WORDS]
    vals, cnts = vals[order], cnts[order]
    top = _ranked(vals, cnts)[:TOP_K]
    ca, cb = a["token_cluster"], b["token_cluster"]
    return {
        "token_kind": a["token_kind"],
        "seq_length_sum": s,
        "seq_length_sumsq": s2,
        **_length_moments(s, s2, n),
        "seq_length_edges": a["seq_length_edges"],
        "seq_length_hist": (np.array(a["seq_length_hist"]) + np.array(b["seq_length_hist"])).tolist(),
        "n_tokens": a["n_tokens"] + b["n_tokens"],
        "token_values": vals.tolist(),
        "token_counts": cnts.tolist(),
        "token_other_count": other,
        "top_tokens": vals[top].tolist(),
        "top_token_counts": cnts[top].tolist(),
        "token_cluster": {
            "n_buckets": ca["n_buckets"],
            **{k: (np.array(ca[k]) + np.array(cb[k])).tolist() for k in ("bucket_counts", "sum_sq", "sum_cross")},
        },
    }


# ----------------------------------------------------------------------------- comparing
#: Candidate tokens per side for the top-100 bootstrap (tokens ranked lower rarely enter a top-100).
_TOP_CANDIDATES = 300


def _lookup(profile: dict[str, Any], tokens: NDArray[Any]) -> NDArray[np.int64]:
    """Counts of ``tokens`` in ``profile`` (0 where absent), vectorised by searchsorted."""
    vals = np.asarray(profile["token_values"])
    cnts = np.asarray(profile["token_counts"], dtype=np.int64)
    if len(vals) == 0 or len(tokens) == 0:
        return np.zeros(len(tokens), dtype=np.int64)
    order = np.argsort(vals, kind="stable")
    sv = vals[order]
    pos = np.clip(np.searchsorted(sv, tokens), 0, len(sv) - 1)
    return np.where(sv[pos] == tokens, cnts[order][pos], 0)


def _token_array(tokens: list[Any], kind: str) -> NDArray[Any]:
    return np.asarray(tokens, dtype=np.int64 if kind == "ids" else str)


def _show(token: Any) -> str:
    return f"token {token}" if isinstance(token, (int, np.integer)) else repr(str(token))


def _deffs(p: dict[str, Any]) -> tuple[NDArray[np.float64], float]:
    """Design effect per hash bucket, and overall, of one profile's token shares."""
    tc = p["token_cluster"]
    return design_effects(tc["bucket_counts"], tc["sum_sq"], tc["sum_cross"], p["seq_length_sumsq"],
                          p["n_samples"], p["n_tokens"])


def _top_masks(draws: NDArray[np.int64], k: int) -> NDArray[np.bool_]:
    """Boolean (B, K) mask of each row's top-k columns (ties to the lower column = more frequent)."""
    b, kk = draws.shape
    k = min(k, kk)
    key = draws + (kk - np.arange(kk)) / (kk + 1.0)
    idx = np.argpartition(-key, k - 1, axis=1)[:, :k]
    mask = np.zeros((b, kk), dtype=bool)
    np.put_along_axis(mask, idx, True, axis=1)
    return mask & (draws > 0)


def compare_text(ref: dict[str, Any], new: dict[str, Any], seed: int) -> tuple[list[Evaluation], dict[str, Any]]:
    """Text metrics (sequence length, token shares, top-100 turnover) and the token-overlap detail."""
    if ref["token_kind"] != new["token_kind"]:
        raise ValueError(
            f"cannot compare a {ref['token_kind']!r} text profile with a {new['token_kind']!r} one "
            "(token ids vs words: profile both sides the same way)"
        )
    kind = ref["token_kind"]
    evals: list[Evaluation] = []
    # sequence length: shared fine bins -> equal-mass coarse bins of the reference
    rh, nh = np.asarray(ref["seq_length_hist"]), np.asarray(new["seq_length_hist"])
    groups = equal_mass_groups(rh, n_coarse_bins(ref["n_samples"], new["n_samples"]))
    mr, mn = ref["seq_length_mean"], new["seq_length_mean"]
    fmt = ".0f" if max(mr, mn) >= 10 else ".1f"
    pct = f" ({(mn - mr) / mr:+.0%})" if mr > 0 else ""
    summary = f"mean sequence length {mr:{fmt}} -> {mn:{fmt}} tokens{pct}"
    evals += histogram_pair(("seq_length_js", "seq_length_kl"), coarsen(rh, groups), coarsen(nh, groups), summary, seed)

    # token shares over the pooled top-100 plus "other"
    t_ref, t_new = ref["n_tokens"], new["n_tokens"]
    cand = _candidates(ref, new, kind)
    pooled_top = cand[: min(TOP_K, len(cand))]
    cr, cn = _lookup(ref, pooled_top), _lookup(new, pooled_top)
    br = np.append(cr, t_ref - cr.sum())
    bn = np.append(cn, t_new - cn.sum())
    (dh_ref, d_ref), (dh_new, d_new) = _deffs(ref), _deffs(new)
    bucket = token_bucket(pooled_top)
    cell_ref, cell_new = np.append(dh_ref[bucket], d_ref), np.append(dh_new[bucket], d_new)
    score = float(js_distance(br, bn))
    rng = metric_rng(seed, "token_freq_js")
    pooled = (br + bn) / max(t_ref + t_new, 1)
    a = overdispersed_counts(pooled * t_ref, cell_ref, N_BOOTSTRAP, rng)
    b = overdispersed_counts(pooled * t_new, cell_new, N_BOOTSTRAP, rng)
    null = np.asarray(js_distance(a, b)) if t_ref + t_new > 0 else np.zeros(N_BOOTSTRAP)
    if len(pooled_top):
        sr, sn = cr / max(t_ref, 1), cn / max(t_new, 1)
        j = int(np.argmax(np.abs(sn - sr)))
        summary = f"largest change: {_show(pooled_top[j].item())} {sr[j]:.1%} -> {sn[j]:.1%} of tokens"
    else:
        summary = "no tokens on either side"
    cell_d = (cell_ref / max(t_ref, 1) + cell_new / max(t_new, 1)) / (1 / max(t_ref, 1) + 1 / max(t_new, 1))
    evals.append(Evaluation("token_freq_js", score, summary, chi2_homogeneity(br, bn, deff=cell_d),
                            noise_floor(null), ref["n_samples"], new["n_samples"]))

    # top-100 turnover
    top_ref, top_new = ref["top_tokens"], new["top_tokens"]
    shared = set(top_ref) & set(top_new)
    overlap = len(shared) / len(top_ref) if top_ref else (1.0 if not top_new else 0.0)
    drift = 1.0 - overlap
    null_top = _top_turnover_null(ref, new, cand, (dh_ref, d_ref), (dh_new, d_new), metric_rng(seed, "top_tokens_drift"))
    only_new = [t for t in top_new if t not in shared]
    only_ref = [t for t in top_ref if t not in shared]
    evals.append(Evaluation("top_tokens_drift", drift, f"{len(only_new)} of the top-{len(top_new)} tokens are new",
                            empirical_p(drift, null_top), noise_floor(null_top), ref["n_samples"], new["n_samples"]))
    detail = {"token_overlap": overlap, "tokens_only_new": only_new, "tokens_only_ref": only_ref}
    return evals, detail


def _candidates(ref: dict[str, Any], new: dict[str, Any], kind: str) -> NDArray[Any]:
    """Tokens ranked by pooled count (ties by token): each side's top candidates, merged."""
    cand = np.unique(np.concatenate([_top_candidates(ref, kind), _top_candidates(new, kind)]))
    pooled = _lookup(ref, cand) + _lookup(new, cand)
    return cand[_ranked(cand, pooled)]


def _top_turnover_null(ref: dict[str, Any], new: dict[str, Any], cand: NDArray[Any],
                       deff_ref: tuple[NDArray[np.float64], float], deff_new: tuple[NDArray[np.float64], float],
                       rng: np.random.Generator) -> NDArray[np.float64]:
    """Top-100 turnover of bootstrap pairs drawn from the pooled token shares.

    Counts of the pooled top :data:`_TOP_CANDIDATES` tokens are drawn as overdispersed Poissons
    whose variance is the token's design effect times its mean (tokens cluster within items).
    """
    cand = cand[:_TOP_CANDIDATES]
    total = float(ref["n_tokens"] + new["n_tokens"])
    if total <= 0 or len(cand) == 0:
        return np.zeros(N_BOOTSTRAP)
    pooled = (_lookup(ref, cand) + _lookup(new, cand)) / total
    bucket = token_bucket(cand)
    a = overdispersed_counts(pooled * ref["n_tokens"], deff_ref[0][bucket], N_BOOTSTRAP, rng)
    b = overdispersed_counts(pooled * new["n_tokens"], deff_new[0][bucket], N_BOOTSTRAP, rng)
    ma, mb = _top_masks(a, TOP_K), _top_masks(b, TOP_K)
    return 1.0 - (ma & mb).sum(axis=1) / np.maximum(ma.sum(axis=1), 1)


def _top_candidates(p: dict[str, Any], kind: str) -> NDArray[Any]:
    vals = _token_array(p["token_values"], kind)
    cnts = np.asarray(p["token_counts"], dtype=np.int64)
    if len(vals) > _TOP_CANDIDATES:
        keep = np.argpartition(-cnts, _TOP_CANDIDATES - 1)[:_TOP_CANDIDATES]
        vals = vals[keep]
    return vals
