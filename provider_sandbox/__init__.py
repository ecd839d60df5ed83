"""The provider sandbox: a separate process speaking Bandwidth's wire format.

See docs/provider-sandbox.md.

The core (config, store, server, dispatcher) is plain Python and needs no Django; the package is
a Django app only so that it can host its management commands. It imports nothing from the
project's apps.
"""
