"""Crediting households: the append-only ledger, fee policy, payouts, earnings, transparency."""
