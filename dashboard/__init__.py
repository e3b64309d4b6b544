"""The Streamlit dashboard: a thin face on the analysis package."""
