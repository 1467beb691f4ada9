"""The shapes of plain data the package reads and writes: a TOML document's values, a JSON document's.

Type aliases only (no code): a parsed file is a :data:`TomlTable` until a schema validates it, and what the
package writes as JSON (results, summaries, the keys listing) is :data:`Json`.
"""

from __future__ import annotations

import datetime

type Scalar = bool | int | float | str
type TomlValue = Scalar | datetime.datetime | datetime.date | datetime.time | list[TomlValue] | TomlTable
type TomlTable = dict[str, TomlValue]
type Json = Scalar | None | list[Json] | dict[str, Json]
