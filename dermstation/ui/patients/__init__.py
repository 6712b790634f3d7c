"""The Patients section: search, register and edit patients, read their chart."""
