"""Interoperability with the automated-negotiation ecosystem: GENIUS XML export and a NegMAS bridge."""
