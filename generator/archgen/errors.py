"""User-facing errors. Each carries its exit code; the CLI renders them once, at the edge."""

from __future__ import annotations

from dataclasses import dataclass, field

# Documented exit codes (README, `archgen --help`).
EXIT_OK = 0
EXIT_CHECKS_FAILED = 1
EXIT_BAD_INPUT = 2
EXIT_UPDATE_CONFLICTS = 3  # `archgen update` left merge conflicts


class ArchgenError(Exception):
    """Base of every error archgen shows to a user (never with a traceback)."""

    exit_code = EXIT_BAD_INPUT

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def to_dict(self) -> dict[str, object]:
        return {"error": type(self).__name__, "message": self.message}


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a spec, located in its file."""

    file: str
    line: int | None
    column: int | None
    path: str  # dotted field path, e.g. "tiers[0].allowed_models[1]"
    message: str

    def __str__(self) -> str:
        where = self.file
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        return f"{where}: {self.path or '<root>'}: {self.message}"

    def to_dict(self) -> dict[str, object]:
        return {
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "path": self.path,
            "message": self.message,
        }


@dataclass
class SpecError(ArchgenError):
    """The spec file is unreadable or invalid; ``problems`` lists every finding."""

    problems: list[Problem] = field(default_factory=list)
    exit_code = EXIT_BAD_INPUT

    def __post_init__(self) -> None:
        n = len(self.problems)
        super().__init__(f"{n} problem{'s' if n != 1 else ''} in the spec")

    def __str__(self) -> str:
        return "\n".join(str(p) for p in self.problems)

    def to_dict(self) -> dict[str, object]:
        return {"valid": False, "problems": [p.to_dict() for p in self.problems]}


class UsageError(ArchgenError):
    """Bad command-line use: conflicting options, a non-empty --out, a missing file."""


class RenderError(ArchgenError):
    """A template failed to render or the output failed its own lint (an archgen bug)."""

    exit_code = EXIT_CHECKS_FAILED


class VerifyFailed(ArchgenError):
    """The generated project's checks or tests failed."""

    exit_code = EXIT_CHECKS_FAILED

    def __init__(self, message: str, failures: list[str] | None = None) -> None:
        super().__init__(message)
        self.failures = failures or []

    def to_dict(self) -> dict[str, object]:
        return {**super().to_dict(), "failures": self.failures}
