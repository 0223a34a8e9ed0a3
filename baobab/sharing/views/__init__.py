"""The sharing pages: indicators, reports, sharing groups."""
