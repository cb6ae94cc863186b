"""OpenAPI tweaks."""


def strip_trailing_slashes(result, generator, request, public):
    """Routes accept both forms (`/?$`); document the seed's slash-less paths."""
    result["paths"] = {path.rstrip("/") or "/": item for path, item in result["paths"].items()}
    return result
