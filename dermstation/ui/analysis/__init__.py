"""The dermatologist's Analysis section: live view, import, analysis, assessment, lesion history."""
