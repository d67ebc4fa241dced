"""Pages of the interoperability module."""
