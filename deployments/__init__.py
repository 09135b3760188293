__all__ = ["serve"]
