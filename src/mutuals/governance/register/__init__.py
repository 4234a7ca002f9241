"""Keeping a provider's member register: import and export, history-keeping changes to
holdings, and the constitution and staff votes recorded from the provider's papers."""
