"""Test support: the fake broker and the real-broker launcher."""
