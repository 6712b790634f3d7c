"""Patient-facing explanations: Perplexity client and the offline knowledge base. No Qt."""
