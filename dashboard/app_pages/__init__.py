"""The five pages of the dashboard, and nothing else (each a script that st.navigation runs)."""
