"""pyarrow <-> numpy for flat numeric arrays, without importing pandas.

pyarrow's ``Array.to_numpy`` converts through its pandas layer and ``pa.array`` checks its input
for pandas types: either imports pandas, 0.3 to 0.7 s of a ``drift profile`` run that never needs
it, even for a column of int64. Integers and floats without nulls are shared through DLPack
(zero-copy, read-only) and numpy buffers are wrapped as they are; anything else still goes through
pyarrow's own conversion.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray


def to_numpy(values: Any) -> NDArray[Any]:
    """A pyarrow array (or chunked array) as numpy: zero-copy for integers and floats without nulls.

    >>> import pyarrow as pa
    >>> to_numpy(pa.chunked_array([[1, 2], [3]]))
    array([1, 2, 3])
    """
    import pyarrow as pa

    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    if not values.null_count and (pa.types.is_integer(values.type) or pa.types.is_floating(values.type)):
        return np.from_dlpack(values)
    return values.to_numpy(zero_copy_only=False)


def int64_array(values: NDArray[np.integer[Any]]) -> Any:
    """An integer numpy array as a pyarrow int64 array (sharing its buffer when it is already one).

    >>> int64_array(np.array([3, 1])).to_pylist()
    [3, 1]
    """
    import pyarrow as pa

    data = np.ascontiguousarray(values, dtype=np.int64)
    return pa.Array.from_buffers(pa.int64(), len(data), [None, pa.py_buffer(data)])
