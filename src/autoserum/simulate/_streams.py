"""Random streams of many trials side by side: one generator per segment of a flat row axis.

The simulator works on flat arrays whose rows are the subjects of several trials (or chunks of
one trial) one after the other: segment *s* holds ``sizes[s]`` rows and owns the generator of
its own seed. A draw of ``size`` rows gives each segment the numbers its own generator gives
for a draw of its rows alone, so a trial's numbers do not depend on which trials share the
batch: a batch of one trial is the per-trial path, and a batch of many draws the same numbers
(``tests/design/test_batched.py``). Each segment's generator must see the same sequence of
calls as when the trial is simulated alone; the simulator keeps that order (and a segment
without rows draws nothing, as a draw of size 0 consumes nothing).

>>> import numpy as np
>>> both = Streams.spawn([(1, 0, 3), (2, 0, 3)], [2, 3])
>>> alone = Streams.spawn([(2, 0, 3)], [3])
>>> bool(np.array_equal(both.standard_normal(5)[2:], alone.standard_normal(3)))
True
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeAlias

import numpy as np
from numpy.typing import NDArray

from autoserum.errors import Expected, ValidationError

__all__ = ["Draws", "Streams"]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
Shape = int | tuple[int, ...]


class Streams:
    """One :class:`numpy.random.Generator` per segment of a flat row axis (see the module)."""

    __slots__ = ("_edges", "generators", "segment", "sizes", "total")

    def __init__(self, generators: Sequence[np.random.Generator], sizes: Sequence[int] | IntArray):
        self.generators = tuple(generators)
        self.sizes: IntArray = np.asarray(sizes, dtype=np.int64).reshape(-1)
        if self.sizes.shape[0] != len(self.generators) or (self.sizes < 0).any():
            raise ValidationError(
                "sizes", self.sizes.tolist(), Expected("one size >= 0 per generator")
            )
        self._edges = np.concatenate([[0], np.cumsum(self.sizes)]).tolist()
        self.total = int(self._edges[-1])
        #: segment of each row
        self.segment: IntArray = np.repeat(np.arange(len(self.generators)), self.sizes)

    @classmethod
    def spawn(cls, keys: Sequence[Sequence[int]], sizes: Sequence[int] | IntArray) -> Streams:
        """Generators ``numpy.random.default_rng(list(key))`` with ``sizes`` rows each."""
        return cls([np.random.default_rng(list(key)) for key in keys], sizes)

    def resized(self, sizes: Sequence[int] | IntArray) -> Streams:
        """The same generators over segments of ``sizes`` rows."""
        return Streams(self.generators, sizes)

    def where(self, rows: NDArray[np.bool_]) -> Streams:
        """The same generators over the rows where ``rows`` (a mask of this axis) is true."""
        counts = np.bincount(self.segment[rows], minlength=len(self.generators))
        return self.resized(counts)

    def _shape(self, size: Shape) -> tuple[int, ...]:
        shape = (size,) if isinstance(size, int) else tuple(size)
        if shape[0] != self.total:
            raise ValidationError(
                "size", shape, Expected("%(total)s rows (the segments' total)", total=self.total)
            )
        return shape

    def _spans(self) -> list[tuple[np.random.Generator, int, int]]:
        edges = self._edges
        return [
            (generator, edges[s], edges[s + 1])
            for s, generator in enumerate(self.generators)
            if edges[s + 1] > edges[s]
        ]

    def standard_normal(self, size: Shape) -> FloatArray:
        """Standard normal draws, ``size[0]`` = the rows of every segment."""
        shape = self._shape(size)
        if len(self.generators) == 1:
            return self.generators[0].standard_normal(shape)
        out = np.empty(shape)
        for generator, start, stop in self._spans():
            generator.standard_normal(out=out[start:stop])
        return out

    def standard_normal_rows(self, count: int) -> FloatArray:
        """``count`` × rows standard normal draws: row j is what the j-th of ``count``
        consecutive ``standard_normal(rows)`` calls gives (one call per segment, not
        ``count``)."""
        if len(self.generators) == 1:
            return self.generators[0].standard_normal((count, self.total))
        out = np.empty((count, self.total))
        for generator, start, stop in self._spans():
            out[:, start:stop] = generator.standard_normal((count, stop - start))
        return out

    def random(self, size: Shape) -> FloatArray:
        """Uniform draws on [0, 1)."""
        shape = self._shape(size)
        if len(self.generators) == 1:
            return self.generators[0].random(shape)
        out = np.empty(shape)
        for generator, start, stop in self._spans():
            generator.random(out=out[start:stop])
        return out

    def normal(self, loc: float, scale: float, size: Shape) -> FloatArray:
        """Normal draws with a common mean and SD."""
        shape = self._shape(size)
        if len(self.generators) == 1:
            return self.generators[0].normal(loc, scale, shape)
        out = np.empty(shape)
        for generator, start, stop in self._spans():
            out[start:stop] = generator.normal(loc, scale, (stop - start, *shape[1:]))
        return out

    def integers(self, low: int, high: int, size: Shape) -> IntArray:
        """Integers in [low, high)."""
        shape = self._shape(size)
        if len(self.generators) == 1:
            return self.generators[0].integers(low, high, shape)
        out = np.empty(shape, dtype=np.int64)
        for generator, start, stop in self._spans():
            out[start:stop] = generator.integers(low, high, (stop - start, *shape[1:]))
        return out


#: What the draw functions accept: one generator (one trial's rows) or the streams of a batch.
Draws: TypeAlias = np.random.Generator | Streams
