"""Configuration: the settings registry, its catalogue by section, validators, loading.

Modules (each imports only those above it in this list, and ``fastwsgi.errors``):

- ``validators``: small pure functions that check and convert one value;
- ``registry``: ``Setting`` and ``KNOWN_SETTINGS``, the one definition per option;
- ``settings_*``: the catalogue, one file per group of sections (``catalogue``
  finds and imports them; adding a file is all a new section needs);
- ``worker_class``: gunicorn's ``worker_class`` names mapped to fastwsgi modes;
- ``model``: ``Config``, the validated values of one run, and the CLI parser;
- ``loading``: ``load_config()``: defaults < config file < env args < command line.

Every other package may import ``fastwsgi.config``; it imports no other fastwsgi
package but ``errors``. Importing it registers every setting.
"""

from __future__ import annotations

from fastwsgi.config import catalogue
from fastwsgi.config.loading import (
    PARSING_MODULES,
    apply_config_namespace,
    is_supervisor_config,
    load_config,
    load_config_location,
    release_parsing_modules,
)
from fastwsgi.config.model import Config
from fastwsgi.config.registry import (
    KNOWN_SETTINGS,
    SECTION_ORDER,
    SOURCE_CLI,
    Setting,
    engine_settings_list,
    ignored_setting_names,
    invalid_value_message,
    sections,
    settings_by_name,
)
from fastwsgi.config.worker_class import resolve_worker_mode

catalogue.load()

__all__ = [
    "KNOWN_SETTINGS", "PARSING_MODULES", "SECTION_ORDER", "SOURCE_CLI", "Config", "Setting",
    "apply_config_namespace", "engine_settings_list", "ignored_setting_names", "invalid_value_message",
    "is_supervisor_config", "load_config", "load_config_location", "release_parsing_modules",
    "resolve_worker_mode", "sections", "settings_by_name",
]
