"""Image in, clinical analysis out: numpy + OpenCV + onnxruntime. No Qt here.

Public API (import from the modules; this package import stays light):

- ``analyzer.Analyzer.from_models_dir(path=None, provider="auto")`` -> ``Analyzer``;
  ``.analyze(rgb, pixel_spacing_mm=None, tta=False)`` / ``.analyze_file(path, ...)`` ->
  ``analyzer.AnalysisResult`` (frozen; probabilities, malignancy vs the card's threshold, mask,
  contour, CAM, metrics, quality flags, models, provider, timings).
- ``image_io.read_image(path)`` / ``image_io.load_array(array)`` -> ``LoadedImage`` (RGB uint8).
- ``quality.assess(image, mask)``, ``metrics.compute_metrics(mask, image, pixel_spacing_mm)``,
  ``compare.compare(before, after)``, ``overlay.render_overlay(image, contour, cam)``.
- ``runtime.load_model(card_path, provider)`` (verified, cached ONNX sessions), ``model_card.load_card``.
- ``preprocess``: the steps shared with training, and ``build_pipeline`` for a card's steps.
"""
