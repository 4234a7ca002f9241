"""What the returns app announces to the apps above it, which it may not import.

:data:`returns_imported` is sent once an import's rows are committed, with the ids of the
organisations it brought returns for; evaluation listens to chart their series again."""

from __future__ import annotations

from django.dispatch import Signal

returns_imported = Signal()
