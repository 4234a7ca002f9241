"""Static files as WhiteNoise serves them in production."""

from __future__ import annotations

from whitenoise.storage import CompressedManifestStaticFilesStorage


class Storage(CompressedManifestStaticFilesStorage):
    """Hashed, compressed names once `mutuals collectstatic` has run (make setup runs it),
    served with a year-long cache. Not strict: a site started before collecting still
    serves every page, with its files under their plain names (WhiteNoise finds them in
    the apps), instead of failing on the first stylesheet it links."""

    manifest_strict = False

    def stored_name(self, name: str) -> str:
        try:
            return super().stored_name(name)
        except ValueError:  # not collected yet: its plain name, which WhiteNoise finds
            return name
