"""The `.keras` archive as data: read its JSON entries, add netdsl's own. No TensorFlow.

A Keras 3 `.keras` file is a zip of `config.json` (the model's structure),
`metadata.json` (the Keras version) and `model.weights.h5`. Reading the two
JSON entries is enough to know the whole structure, so `netdsl import` never
deserializes anything through Keras: nothing in the file is ever executed.

netdsl adds one entry of its own when it compiles a spec, `netdsl.json`, with
what Keras does not keep: the feature names of each input. Keras's loader
ignores entries it does not know.
"""

from __future__ import annotations

import json
import os
import zipfile
from dataclasses import dataclass, field

from ..io import InputFileError

NETDSL_ENTRY = "netdsl.json"
MAX_CONFIG_BYTES = 64 << 20  # a 100,000-layer config is about 60 MiB


@dataclass
class Archive:
    path: str
    config: dict
    metadata: dict = field(default_factory=dict)
    netdsl: dict = field(default_factory=dict)  # netdsl.json, when netdsl wrote the file

    @property
    def keras_version(self) -> str | None:
        version = self.metadata.get("keras_version")
        return version if isinstance(version, str) else None


def read_archive(path: str) -> Archive:
    """The JSON entries of a `.keras` file; InputFileError when it is not one."""
    if os.path.isdir(path):
        raise InputFileError(f"{path}: is a directory, not a .keras file")
    if not os.path.exists(path):
        raise InputFileError(f"{path}: no such file")
    try:
        if not zipfile.is_zipfile(path):
            raise InputFileError(
                f"{path}: not a Keras archive (a .keras file is a zip written by model.save)"
            )
        with zipfile.ZipFile(path) as z:
            names = set(z.namelist())
            if "config.json" not in names:
                listing = ", ".join(sorted(names)[:5]) or "nothing"
                raise InputFileError(
                    f"{path}: a zip without config.json, so not a Keras 3 model (it holds {listing})"
                )
            config = _json_entry(z, path, "config.json")
            metadata = _json_entry(z, path, "metadata.json") if "metadata.json" in names else {}
            extra = _json_entry(z, path, NETDSL_ENTRY) if NETDSL_ENTRY in names else {}
    except (OSError, zipfile.BadZipFile) as exc:
        raise InputFileError(f"{path}: cannot read the archive: {exc}") from None
    if not isinstance(config, dict):
        raise InputFileError(f"{path}: config.json does not describe a model (not a JSON object)")
    return Archive(path, config, metadata if isinstance(metadata, dict) else {}, extra)


def _json_entry(z: zipfile.ZipFile, path: str, name: str):
    info = z.getinfo(name)
    if info.file_size > MAX_CONFIG_BYTES:
        raise InputFileError(f"{path}: {name} is larger than {MAX_CONFIG_BYTES >> 20} MiB")
    try:
        return json.loads(z.read(name).decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputFileError(f"{path}: {name} is not valid JSON ({exc})") from None


def add_netdsl_entry(
    path: str, features: dict[str, list[str]], targets: list[dict] | None = None, extra: dict | None = None
) -> None:
    """Record the inputs' feature names (by Keras input name) in the archive;
    a trained model also records its targets (the label column of each output,
    its encoding and class names), which `netdsl evaluate` reads."""
    data: dict = {"format": 1, "features": {k: list(v) for k, v in features.items()}}
    if targets is not None:
        data["targets"] = targets
    data.update(extra or {})
    with zipfile.ZipFile(path, "a", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr(NETDSL_ENTRY, json.dumps(data, indent=1, ensure_ascii=False))
