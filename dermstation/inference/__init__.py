"""Image in, clinical analysis out: numpy + OpenCV + onnxruntime. No Qt here."""
