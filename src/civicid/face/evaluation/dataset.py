"""Evaluation datasets on disk: ``images/<person>/<file>`` and an optional ``pairs.csv``.

``pairs.csv`` has the columns ``left,right,same`` and optionally ``fold`` (paths relative to the
dataset folder, ``same`` 1 or 0), as in LFW's pairsDevTrain/pairsDevTest and faces/pairs.csv.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from civicid.errors import CivicIDError


class DatasetError(CivicIDError):
    code = "dataset.invalid"
    status = 422
    default_message = "The evaluation dataset is not laid out as images/<person>/<file>."


@dataclass(frozen=True, slots=True)
class Pair:
    left: int
    right: int
    same: bool
    fold: int | None


@dataclass(frozen=True, slots=True)
class Dataset:
    """``images`` are paths relative to ``root``; ``persons[i]`` is the person of image i."""

    name: str
    root: Path
    images: tuple[str, ...]
    persons: tuple[str, ...]
    pairs: tuple[Pair, ...]

    @property
    def has_folds(self) -> bool:
        return bool(self.pairs) and all(pair.fold is not None for pair in self.pairs)

    def path(self, index: int) -> Path:
        return self.root / self.images[index]


def load_dataset(root: Path) -> Dataset:
    """Read the layout; raises DatasetError when images/ is missing or pairs.csv is wrong."""
    images_dir = root / "images"
    if not images_dir.is_dir():
        raise DatasetError(f"{root} has no images/ folder.")
    images, persons = [], []
    for person_dir in sorted(p for p in images_dir.iterdir() if p.is_dir()):
        for file in sorted(p for p in person_dir.iterdir() if p.is_file() and not p.name.startswith(".")):
            images.append(file.relative_to(root).as_posix())
            persons.append(person_dir.name)
    if not images:
        raise DatasetError(f"{images_dir} contains no images.")
    index = {path: i for i, path in enumerate(images)}
    pairs = _read_pairs(root / "pairs.csv", index) if (root / "pairs.csv").is_file() else ()
    return Dataset(name=root.resolve().name, root=root, images=tuple(images), persons=tuple(persons), pairs=pairs)


def _read_pairs(path: Path, index: dict[str, int]) -> tuple[Pair, ...]:
    pairs = []
    with open(path, newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        missing = {"left", "right", "same"} - set(reader.fieldnames or ())
        if missing:
            raise DatasetError(f"{path.name} lacks the columns {sorted(missing)}.")
        for line, row in enumerate(reader, start=2):
            try:
                left, right = index[row["left"]], index[row["right"]]
                same = {"1": True, "0": False}[row["same"].strip()]
                fold = int(row["fold"]) if row.get("fold") not in (None, "") else None
            except (KeyError, ValueError) as exc:
                raise DatasetError(f"{path.name} line {line} is not valid: {exc}", line=line) from exc
            pairs.append(Pair(left=left, right=right, same=same, fold=fold))
    return tuple(pairs)
