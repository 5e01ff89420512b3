"""Standalone agents package (Fleet Agent, Local Agent, printer simulator). Imports nothing from Django.
Built in the issues "Fleet Management" and "Agents and printer simulator"."""
__version__ = "0.1.0"
