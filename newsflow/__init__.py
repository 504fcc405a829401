"""newsflow: raw news text in, validated analytics-ready Parquet tables out."""

__version__ = "0.1.0"
