"""What a dataset is: :class:`TaskSpec` names the modality and the keys of an item."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

from . import limits

Modality = Literal["text", "vision", "outputs"]
MODALITIES: tuple[str, ...] = ("text", "vision", "outputs")
ScoreKind = Literal["probabilities", "logits"]
SCORE_KINDS: tuple[str, ...] = ("probabilities", "logits")


@dataclass(frozen=True)
class TaskSpec:
    """Describe a dataset so that it can be profiled.

    Parameters
    ----------
    modality : {"text", "vision", "outputs"}
        What the model sees: token sequences or images; ``"outputs"`` profiles the model's
        predictions alone (the dataset *is* the predictions: class ids (N,) or scores (N, K), or
        items / columns carrying ``prediction_key``).
    task_type : str
        What the model predicts; only ``"classification"`` has output metrics today.
    num_classes : int, optional
        Number of classes. Without it the prediction histogram has ``max(class) + 1`` bins.
    input_ids_key, text_key, pixel_values_key, prediction_key : str
        Keys (or column names) of an item's token ids, raw text, image and predicted class.
    channels_last : bool, optional
        Force the layout of an image: ``True`` for (H, W, C), ``False`` for (C, H, W). ``None``
        guesses: a trailing axis of size 1, 3 or 4 means channels-last unless the leading axis also
        is one of those sizes, in which case channels-first wins, as in PyTorch.
    pixel_range : (float, float), optional
        The (low, high) range of pixel values for images that are neither uint8 in [0, 255] nor
        float in [0, 1], e.g. ``(-1.0, 1.0)`` for normalised tensors or ``(0, 65535)`` for uint16.
        Pixels are mapped to [0, 1] by ``(x - low) / (high - low)``.
    keep_examples : bool
        Keep a few example items (short texts, small thumbnails) in profiles, for the dashboard's
        gallery. Set False for private data.
    scores : {"probabilities", "logits"}
        What (N, K) prediction scores are. ``"probabilities"`` (default): every row must be
        non-negative and sum to 1 (within 0.01; rows are then divided by their sums), otherwise
        profiling fails naming the row. ``"logits"``: a numerically stable softmax turns each row
        into probabilities (``exp(z - max z) / sum exp(z - max z)``). Class ids (N,) ignore it.
    unk_token_id, pad_token_id : int, optional
        Token ids (text given as ``input_ids``) of the tokenizer's unknown and padding tokens. Named,
        they add the ``unk_token_share`` / ``pad_token_share`` scores, and the padding id is left out
        of the lengths ``truncation_share`` counts (a padded row's length is its non-padding tokens).

    Examples
    --------
    >>> TaskSpec("text").modality
    'text'
    >>> TaskSpec("vision", num_classes=10, pixel_range=(-1.0, 1.0)).pixel_range
    (-1.0, 1.0)
    >>> TaskSpec("outputs", scores="logits").scores
    'logits'
    """

    modality: Modality
    task_type: str = "classification"
    num_classes: int | None = None
    input_ids_key: str = "input_ids"
    text_key: str = "text"
    pixel_values_key: str = "pixel_values"
    prediction_key: str = "prediction"
    channels_last: bool | None = None
    pixel_range: tuple[float, float] | None = None
    keep_examples: bool = True
    scores: ScoreKind = "probabilities"
    unk_token_id: int | None = None
    pad_token_id: int | None = None

    def __post_init__(self) -> None:
        if self.modality not in MODALITIES:
            raise ValueError(f"TaskSpec.modality must be one of {MODALITIES}, got {self.modality!r}")
        if self.num_classes is not None and (
            isinstance(self.num_classes, bool) or not isinstance(self.num_classes, int) or self.num_classes < 1
        ):
            raise ValueError(f"TaskSpec.num_classes must be a positive int, got {self.num_classes!r}")
        max_classes = limits.current().max_classes
        if self.num_classes is not None and self.num_classes > max_classes:
            raise ValueError(
                f"TaskSpec.num_classes {self.num_classes} is above the limit of {max_classes} classes "
                "(raise it with --limit max_classes=N, or drift_core.limits.override)"
            )
        if self.scores not in SCORE_KINDS:
            raise ValueError(f"TaskSpec.scores must be one of {SCORE_KINDS}, got {self.scores!r}")
        for key in ("unk_token_id", "pad_token_id"):
            v = getattr(self, key)
            if v is not None and (isinstance(v, bool) or not isinstance(v, int) or v < 0):
                raise ValueError(f"TaskSpec.{key} must be a non-negative int, got {v!r}")
        if self.pixel_range is not None:
            low, high = (float(v) for v in self.pixel_range)
            if not (low < high):
                raise ValueError(f"TaskSpec.pixel_range must be (low, high) with low < high, got {self.pixel_range!r}")
            object.__setattr__(self, "pixel_range", (low, high))

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dict (stored with a run)."""
        d = asdict(self)
        if d["pixel_range"] is not None:
            d["pixel_range"] = list(d["pixel_range"])
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> TaskSpec:
        """Inverse of :meth:`to_dict`; unknown keys are a ValueError."""
        known = set(cls.__dataclass_fields__)
        unknown = set(d) - known
        if unknown:
            raise ValueError(f"unknown TaskSpec field(s): {sorted(unknown)}")
        d = dict(d)
        if d.get("pixel_range") is not None:
            d["pixel_range"] = tuple(d["pixel_range"])
        return cls(**d)
