"""In-memory stand-ins for the outside services, with the real ones' public surface."""
from .server import FakeMailServer
from .session import FakeMailSession

__all__ = ["FakeMailServer", "FakeMailSession"]
