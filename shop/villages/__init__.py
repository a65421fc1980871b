"""Villages and the households that live in them."""
