"""Views of the store's numbers: terminal tables (and, later, HTML and the dashboard)."""
