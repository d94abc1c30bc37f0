"""An nbgrader course folder: where its instructor sources, release and submissions are.

The folders are named in the course's ``nbgrader_config.py`` (``CourseDirectory``'s
``source_directory``, ``release_directory``, ``submitted_directory``, ...), and only there;
what it does not set is nbgrader's default. A course folder without a ``nbgrader_config.py``
of its own (a copy of some assignments, say) is laid out like the course this grader comes
with, whose ``nbgrader_config.py`` is then read instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .errors import GradingError

CONFIG_FILE = "nbgrader_config.py"
HOME_COURSE = Path(__file__).resolve().parents[2]   # the repository the grader ships in
NBGRADER_DEFAULTS = {"source_directory": "source", "release_directory": "release",
                     "submitted_directory": "submitted", "autograded_directory": "autograded",
                     "feedback_directory": "feedback"}


def course_folders(root: str | Path) -> dict[str, str]:
    """{"source_directory": ..., ...}: the folder names set in ``root``'s ``nbgrader_config.py``
    (or the home course's, see the module docstring), nbgrader's defaults for the rest."""
    from traitlets.config.loader import PyFileConfigLoader

    root = Path(root)
    folder = root if (root / CONFIG_FILE).is_file() else HOME_COURSE
    if not (folder / CONFIG_FILE).is_file():
        return dict(NBGRADER_DEFAULTS)
    try:
        config = PyFileConfigLoader(CONFIG_FILE, path=str(folder)).load_config()
    except Exception as error:  # the instructor's file: say which file broke
        raise GradingError(f"{folder / CONFIG_FILE} cannot be read: {type(error).__name__}: {error}") from None
    course_directory = config.get("CourseDirectory", {})
    return {name: str(course_directory.get(name) or default) for name, default in NBGRADER_DEFAULTS.items()}


@dataclass(frozen=True)
class Course:
    """An nbgrader course directory: instructor sources, the student release, submissions."""

    root: Path
    source_dir: Path
    release_dir: Path
    submitted_dir: Path
    autograded_dir: Path

    @classmethod
    def at(cls, root: str | Path) -> "Course":
        root = Path(root).resolve()
        folders = course_folders(root)
        source = root / folders["source_directory"]
        if not source.is_dir():
            raise GradingError(f"{root} is not a course folder: it has no {folders['source_directory']}/ "
                               f"folder (the source folder its {CONFIG_FILE} names)")
        release = root / folders["release_directory"]
        return cls(root, source, release if release.is_dir() else source,
                   root / folders["submitted_directory"], root / folders["autograded_directory"])

    @property
    def gradebook_url(self) -> str:
        return f"sqlite:///{self.root / 'gradebook.db'}"

    def assignments(self) -> list[str]:
        return sorted(p.name for p in self.source_dir.iterdir() if p.is_dir() and any(p.glob("*.ipynb")))

    def notebooks(self, assignment: str) -> list[str]:
        return sorted(p.stem for p in (self.source_dir / assignment).glob("*.ipynb"))

    def source(self, assignment: str, notebook: str) -> Path:
        return self.source_dir / assignment / f"{notebook}.ipynb"

    def release(self, assignment: str, notebook: str) -> Path:
        return self.release_dir / assignment / f"{notebook}.ipynb"

    def files_dir(self, assignment: str) -> Path:
        release = self.release_dir / assignment
        return release if release.is_dir() else self.source_dir / assignment

    def autograded(self, student: str, assignment: str, notebook: str) -> Path:
        return self.autograded_dir / student / assignment / f"{notebook}.ipynb"
