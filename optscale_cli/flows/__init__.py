"""Use cases as plain functions: they decide and return results; commands render them."""
