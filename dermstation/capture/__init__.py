"""Camera capture on its own thread, keeping only the latest frame. No Qt."""
