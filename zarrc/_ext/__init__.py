"""Compiled marshalling layer between zarrc and its C engine."""
