"""Our nbgrader preprocessors, one per file (nbgrader's way of extending autograde)."""
from .restorecells import RestoreCells
from .sandboxedexecute import SandboxedExecute
from .sealverdicts import SealVerdicts

__all__ = ["RestoreCells", "SandboxedExecute", "SealVerdicts"]
