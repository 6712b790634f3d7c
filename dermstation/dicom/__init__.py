"""DICOM input and output (pydicom). No Qt here."""
