"""The JSON API: health, scoring (single and batch), the model registry, and the OpenAPI docs."""
