"""Hypothesis strategies shared by the tests (one place, as STYLE.md asks)."""

from hypothesis import strategies as st

discounts = st.floats(min_value=0.5, max_value=0.99, allow_nan=False)
unit_discounts = st.floats(min_value=0.0, max_value=0.999, allow_nan=False)
shares = st.floats(min_value=0.0, max_value=1.0, allow_nan=False)
seeds = st.integers(min_value=0, max_value=2**31 - 1)
