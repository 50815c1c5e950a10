"""Built-in behaviour, registered exactly like external plugins (``trylast``).

Hidden from ``vadapt list-plugins`` unless ``--all``; see ``vadapt.plugins.DEFAULT_PLUGINS``.
"""
